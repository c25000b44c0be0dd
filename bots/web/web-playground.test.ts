import { get as httpGet } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotTestStack, solidImage, subjectPhoto } from '../core/testing/bot-test-stack.ts';
import type { Dashboard } from './dashboard.ts';
import type { WebMessage } from './web-channel.ts';
import { memberIdOfKey, PLAYGROUND_HEADER, WebPlayground } from './web-playground.ts';

/** Each browser's secret key; members see one another only by the ids made from them. */
const KEYS = { alice: 'alice-key-0123456789abcdef', bob: 'bob-key-0123456789abcdef', carol: 'carol-key-0123456789abcdef', dave: 'dave-key-0123456789abcdef' };
const ALICE = memberIdOfKey(KEYS.alice);

/**
 * The playground over HTTP, as a browser uses it: commands with POST, the channel and the dashboard
 * over Server-Sent Events, on a real node with its S3 server and an agent the test plays.
 */

let stack: BotTestStack;
let playground: WebPlayground;
let base = '';

beforeAll(async () => {
  stack = await BotTestStack.start();
  playground = await WebPlayground.start({
    core: stack.core,
    cluster: stack.cluster.admin,
    logger: pino({ level: 'silent' }),
    host: '127.0.0.1',
    port: 0,
    now: Date.now,
    membersAreAdmins: true,
    dashboardIntervalMs: 100,
  });
  base = `http://127.0.0.1:${playground.port}`;
}, 60_000);

afterAll(async () => {
  await playground?.stop();
  await stack?.close();
});

/** One browser's event stream: every event it received, and a way to wait for the next one that matters. */
class EventStream {
  readonly events: { event: string; data: unknown }[] = [];
  readonly #controller = new AbortController();
  #waiters: Array<() => void> = [];

  static async open(key: string, name: string): Promise<EventStream> {
    const stream = new EventStream();
    const response = await fetch(`${base}/api/events?key=${key}&name=${encodeURIComponent(name)}`, { signal: stream.#controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    void stream.#read(response.body!.pipeThrough(new TextDecoderStream()).getReader());
    // The stream first says who the member is: the public id, never the key.
    expect((await stream.next((e) => e.event === 'hello')).data).toEqual({ member: memberIdOfKey(key) });
    await stream.next((e) => e.event === 'history');
    return stream;
  }

  async #read(reader: ReadableStreamDefaultReader<string>): Promise<void> {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) this.events.push({ event, data: JSON.parse(data) });
        }
        for (const wake of this.#waiters.splice(0)) wake();
      }
    } catch {
      // closed by the test
    }
  }

  /** The first event so far, or the next one, that `match` accepts. */
  async next(match: (event: { event: string; data: unknown }) => boolean, timeoutMs = 10_000): Promise<{ event: string; data: unknown }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms; got ${this.events.map((e) => e.event).join(', ')}`);
      await new Promise<void>((wake) => {
        this.#waiters.push(wake);
        setTimeout(wake, 100);
      });
    }
  }

  /** The message event whose text matches. */
  async message(text: RegExp, timeoutMs?: number): Promise<WebMessage> {
    return (await this.next((e) => e.event === 'message' && text.test((e.data as WebMessage).text), timeoutMs)).data as WebMessage;
  }

  close(): void {
    this.#controller.abort();
  }
}

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', [PLAYGROUND_HEADER]: '1' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('the web playground', { timeout: 60_000 }, () => {
  it('shows the page and its script', async () => {
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<ol id="messages"');
    expect((await fetch(`${base}/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });

  it('runs /imagine for one member while another watches the channel, and serves the image', async () => {
    const alice = await EventStream.open(KEYS.alice, 'Alice');
    const bob = await EventStream.open(KEYS.bob, 'Bob');
    try {
      const sent = await post('/api/commands', { key: KEYS.alice, name: 'Alice', text: '/imagine a red star --seed 7', interactionId: 'i-1' });
      expect(sent.status).toBe(202);
      // Both see Alice's command and the bot's reply while the job waits.
      for (const stream of [alice, bob]) {
        expect((await stream.message(/^\/imagine a red star/)).author).toEqual({ id: ALICE, name: 'Alice', bot: false });
        expect((await stream.message(/^\*\*a red star\*\*: waiting/)).buttons.map((b) => b.label)).toEqual(['Cancel']);
      }
      const image = await solidImage([200, 30, 40]);
      await stack.runNextJob(async (job) => {
        expect(job.params).toMatchObject({ prompt: 'a red star', seed: 7, width: 64, height: 64 });
        expect(job.requester).toBe(`web:playground:${ALICE}`);
        return image(job);
      });
      const done = await bob.message(/· seed 7 ·/);
      expect(done.text).toMatch(/^\*\*a red star\*\* · seed 7 · \d+ steps · 64x64 · model built-in · @Alice$/);
      expect(done.buttons.map((b) => b.label)).toEqual(['Reroll', 'Variations', 'Parameters', 'Delete']);
      const served = await fetch(`${base}${done.images[0]!.url}`);
      expect(served.headers.get('content-type')).toBe('image/png');
      const [expected] = await image({ params: { width: 64, height: 64 } } as never);
      expect(Buffer.from(await served.arrayBuffer()).equals(Buffer.from(expected!.bytes))).toBe(true);

      // Parameters: a whisper only Bob (who pressed) sees.
      const params = done.buttons.find((b) => b.label === 'Parameters')!;
      expect((await post('/api/press', { key: KEYS.bob, name: 'Bob', messageId: done.id, buttonId: params.id })).status).toBe(202);
      const whisper = await bob.message(/^Parameters of /);
      expect(whisper.onlyFor).toBe(memberIdOfKey(KEYS.bob));
      const del = done.buttons.find((b) => b.label === 'Delete')!;
      expect(alice.events.some((e) => e.event === 'message' && (e.data as WebMessage).id === whisper.id)).toBe(false);
      // Alice deletes her own images: every browser takes them away.
      await post('/api/press', { key: KEYS.alice, name: 'Alice', messageId: done.id, buttonId: del.id });
      await bob.next((e) => e.event === 'remove' && (e.data as { id: string }).id === done.id);
      expect((await post('/api/press', { key: KEYS.alice, name: 'Alice', messageId: done.id, buttonId: del.id })).body.error).toBe('that message or button is no longer in the channel');
    } finally {
      alice.close();
      bob.close();
    }
  });

  it('answers mistakes with what to change', async () => {
    const carol = await EventStream.open(KEYS.carol, 'Carol');
    try {
      expect(await post('/api/commands', { key: KEYS.carol, text: '/help' })).toEqual({ status: 400, body: { error: 'name: Invalid input: expected string, received undefined' } });
      expect((await post('/api/commands', { key: 'short', name: 'Carol', text: '/help' })).body.error).toBe("key: key must be the browser's secret: 16 to 128 letters, digits, - or _");
      expect((await post('/api/commands', { key: KEYS.carol, name: 'Carol', text: '   ' })).body.error).toBe('type a message or a command such as /imagine a red star');
      await post('/api/commands', { key: KEYS.carol, name: 'Carol', text: '/imagin a cat' });
      expect((await carol.message(/^There is no command/)).text).toBe('There is no command /imagin; type /help for the list.');
      // /train with one photo attached, sent as a browser form.
      const form = new FormData();
      for (const [field, value] of Object.entries({ key: KEYS.carol, name: 'Carol', text: '/train zxq glyph' })) form.append(field, value);
      form.append('photos', new Blob([await subjectPhoto('photo-1.png')], { type: 'image/png' }), 'photo-1.png');
      expect((await fetch(`${base}/api/commands`, { method: 'POST', headers: { [PLAYGROUND_HEADER]: '1' }, body: form })).status).toBe(202);
      expect((await carol.message(/photo-1\.png|^\/train/)).attachments).toEqual(['photo-1.png']);
      await carol.message(/^Attach 3 to 10 photos of your subject \(you attached 1\)/);
      // A photo far over the limit is refused while it uploads, and nothing reaches the channel.
      const big = new FormData();
      for (const [field, value] of Object.entries({ key: KEYS.carol, name: 'Carol', text: '/train zxq glyph' })) big.append(field, value);
      big.append('photos', new Blob([new Uint8Array(12 * 2 ** 20)], { type: 'image/png' }), 'huge.png');
      const refused = await fetch(`${base}/api/commands`, { method: 'POST', headers: { [PLAYGROUND_HEADER]: '1' }, body: big });
      expect([refused.status, await refused.json()]).toEqual([413, { error: 'a photo is larger than 10 MiB; attach a smaller one' }]);
      expect(carol.events.some((e) => e.event === 'message' && (e.data as WebMessage).attachments.includes('huge.png'))).toBe(false);
      // On a loopback address members are admins: the agents list is whispered.
      await post('/api/commands', { key: KEYS.carol, name: 'Carol', text: '/agent list' });
      expect((await carol.message(/^\*\*Agents\*\* \(1\)/)).onlyFor).toBe(memberIdOfKey(KEYS.carol));
    } finally {
      carol.close();
    }
  });

  it('refuses requests that do not come from its own page', async () => {
    const command = JSON.stringify({ key: 'mallory-0123456789abcdef', name: 'Mallory', text: '/agent revoke a-1' });
    // Another site's page: a form post without the page's header, or with its own origin.
    const plain = await fetch(`${base}/api/commands`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: command });
    expect([plain.status, await plain.json()]).toEqual([403, { error: "commands come from the playground's page (the x-teambooth-playground header is missing)" }]);
    const foreign = await fetch(`${base}/api/commands`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example', [PLAYGROUND_HEADER]: '1' }, body: command });
    expect([foreign.status, await foreign.json()]).toEqual([403, { error: "commands come from the playground's page, not from https://evil.example" }]);
    // A site whose name resolves to 127.0.0.1 (DNS rebinding) cannot read the channel either.
    const rebound = await new Promise<{ status: number; body: string }>((done, fail) => {
      const request = httpGet({ host: '127.0.0.1', port: playground.port, path: '/api/dashboard', headers: { host: `evil.example:${playground.port}` } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => done({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', fail);
    });
    expect(rebound).toEqual({ status: 403, body: JSON.stringify({ error: `this playground answers only at http://127.0.0.1:${playground.port}/ (the request named host "evil.example:${playground.port}")` }) });
  });

  it('streams the dashboard: nodes, agents and the queue', async () => {
    const dave = await EventStream.open(KEYS.dave, 'Dave');
    try {
      await stack.cluster.admin.jobs('Submit', { kind: 'imagine', params: JSON.stringify({ prompt: 'a blue moon', width: 64, height: 64 }), requester: 'cli', idempotencyKey: 'dash-1' }, { mode: 'leader', auth: 'admin' });
      const queued = (await dave.next((e) => e.event === 'dashboard' && (e.data as Dashboard).queue.active.some((j) => j.what === 'a blue moon'))).data as Dashboard;
      expect(queued.nodes).toEqual([expect.objectContaining({ up: true, role: 'leader', term: expect.any(Number) })]);
      expect(queued.leader).toBe(queued.nodes[0]!.id);
      expect(queued.agents).toEqual([expect.objectContaining({ name: 'gpu', online: true, provider: 'cpu', canTrain: true })]);
      expect(queued.queue.counts.queued).toBe(1);
      await stack.runNextJob(solidImage([0, 0, 255]));
      // The earlier test's job and this one.
      const drained = (await dave.next((e) => e.event === 'dashboard' && (e.data as Dashboard).queue.counts.succeeded === 2)).data as Dashboard;
      expect(drained.queue.active).toEqual([]);
    } finally {
      dave.close();
    }
  });
});
