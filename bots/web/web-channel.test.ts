import { describe, expect, it } from 'vitest';
import { TEAMBOOTH_AUTHOR, WebChannel, type ChannelEvent } from './web-channel.ts';

const image = (name: string) => ({ name, bytes: new Uint8Array([1, 2, 3]) });

describe('the playground channel', () => {
  it('drops its oldest message and that message\'s images once full, and tells every browser', () => {
    const channel = new WebChannel({ now: () => 1000, maxMessages: 2 });
    const events: ChannelEvent[] = [];
    channel.subscribe('m1', (event) => events.push(event));
    const first = channel.add(TEAMBOOTH_AUTHOR, { text: 'one', images: [image('a.png')] });
    const firstImage = channel.history('m1')[0]!.images[0]!.url.split('/').pop()!;
    expect(channel.image(firstImage)?.type).toBe('image/png');
    channel.add(TEAMBOOTH_AUTHOR, { text: 'two' });
    channel.add(TEAMBOOTH_AUTHOR, { text: 'three' });
    expect(channel.history('m1').map((m) => m.text)).toEqual(['two', 'three']);
    expect(events.at(-1)).toEqual({ type: 'remove', id: first });
    expect(channel.image(firstImage)).toBeUndefined();
  });

  it('drops the oldest messages while their images take more memory than allowed', () => {
    const channel = new WebChannel({ now: () => 1000, maxImageBytes: 5 });
    channel.add(TEAMBOOTH_AUTHOR, { text: 'one', images: [image('a.png')] });
    channel.add(TEAMBOOTH_AUTHOR, { text: 'two' });
    expect(channel.history('m').map((m) => m.text)).toEqual(['one', 'two']);
    const third = channel.add(TEAMBOOTH_AUTHOR, { text: 'three', images: [image('b.png')] });
    expect(channel.history('m').map((m) => m.text)).toEqual(['two', 'three']);
    // A reply that grows past the limit stays; older ones go.
    channel.update(third, { text: 'three, bigger', images: [image('c.png'), image('d.png')] });
    expect(channel.history('m').map((m) => m.text)).toEqual(['three, bigger']);
  });

  it('keeps whispers to their member and writes mentions with names', async () => {
    const channel = new WebChannel({ now: () => 1000 });
    channel.join({ id: 'web-a', name: 'Alice' });
    const seen: Record<string, string[]> = { 'web-a': [], 'web-b': [] };
    for (const member of Object.keys(seen)) channel.subscribe(member, (event) => event.type === 'message' && seen[member]!.push(event.message.text));
    const reply = channel.replyTo({ id: 'web-a' });
    await reply.whisper('only for <@web-a>');
    await reply.post({ text: 'trained it', mention: 'web-a' });
    expect(seen).toEqual({ 'web-a': ['only for @Alice', '@Alice trained it'], 'web-b': ['@Alice trained it'] });
  });

  it('gives images of different runs different URLs, so a browser never shows a cached image of an earlier run', () => {
    const urls = ['run1', 'run2'].map((prefix) => {
      const channel = new WebChannel({ now: () => 1000, imagePrefix: prefix });
      channel.add(TEAMBOOTH_AUTHOR, { text: 'x', images: [image('a.png')] });
      return channel.history('m')[0]!.images[0]!.url;
    });
    expect(urls[0]).not.toBe(urls[1]);
  });
});
