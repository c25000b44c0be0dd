import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../cluster/state/types.ts';
import { BotCore } from './bot-core.ts';
import type { ChatAttachment, ChatMember, ChatMessage, ChatReply, ChatRequest } from './chat-port.ts';
import { BotTestStack, loraOutput, solidImage, subjectPhoto } from './testing/bot-test-stack.ts';

/**
 * The command core against a real one-node cluster with its S3 server; the GPU agent is played by
 * the test through the agent calls, so every step of a job happens when the test says.
 */

let stack: BotTestStack;
let core: BotCore;
let interaction = 0;

beforeAll(async () => {
  stack = await BotTestStack.start();
  core = stack.core;
}, 60_000);
afterAll(async () => {
  await stack?.close();
});

/** A reply that records what the core shows, posts, whispers and removes. */
class RecordedReply implements ChatReply {
  readonly shown: ChatMessage[] = [];
  readonly posts: (ChatMessage & { mention?: string })[] = [];
  readonly whispers: string[] = [];
  removed = false;
  async show(message: ChatMessage): Promise<void> {
    this.shown.push(message);
  }
  async post(message: ChatMessage & { mention?: string }): Promise<void> {
    this.posts.push(message);
  }
  async whisper(text: string): Promise<void> {
    this.whispers.push(text);
  }
  async remove(): Promise<void> {
    this.removed = true;
  }
  get last(): ChatMessage | undefined {
    return this.shown.at(-1);
  }
}

const alice: ChatMember = { id: '1001', name: 'alice', isAdmin: false };
const bob: ChatMember = { id: '1002', name: 'bob', isAdmin: false };
const admin: ChatMember = { id: '1', name: 'mod', isAdmin: true };

function request(member: ChatMember = alice, channelId = 'c-1'): ChatRequest & { reply: RecordedReply } {
  interaction += 1;
  return { place: { platform: 'discord', serverId: 'g-1', channelId }, member, reply: new RecordedReply(), interactionId: `i-${interaction}`, signal: AbortSignal.timeout(60_000) };
}

function attachment(name: string, bytes: Uint8Array, contentType: string | null = 'image/png'): ChatAttachment {
  return { name, contentType, size: bytes.byteLength, download: async () => bytes };
}

async function fixturePhotos(count: number): Promise<ChatAttachment[]> {
  const names = ['photo-1.png', 'photo-2.png', 'photo-3.png', 'photo-4.png', 'photo-5.png', 'photo-6.png'];
  return Promise.all(names.slice(0, count).map(async (name) => attachment(name, await subjectPhoto(name))));
}

describe('/imagine', () => {
  it('submits the prompt, shows its progress, then the image with its seed, model version and buttons', async () => {
    const req = request();
    const running = core.imagine(req, { prompt: 'a red star on a blue background', seed: 42, steps: 4, aspect: '3:2' });
    const job = await stack.runNextJob(solidImage([200, 30, 30]));
    await running;
    expect(job.params).toMatchObject({ prompt: 'a red star on a blue background', seed: 42, steps: 4, width: 80, height: 56 });
    expect(req.reply.shown[0]?.text).toMatch(/^\*\*a red star on a blue background\*\*: (waiting|starting)/);
    const result = req.reply.last!;
    expect(result.text).toBe('**a red star on a blue background** · seed 42 · 4 steps · 80x56 · model built-in · <@1001>');
    expect(result.images).toHaveLength(1);
    expect(Buffer.from(result.images![0]!.bytes).subarray(1, 4).toString()).toBe('PNG');
    expect(result.buttons?.map((b) => b.label)).toEqual(['Reroll', 'Variations', 'Parameters', 'Delete']);

    // Buttons: parameters for anyone, delete only for the member who asked.
    const params = request(bob);
    await core.press(params, result.buttons![2]!.id);
    expect(params.reply.whispers[0]).toContain('"seed": 42');
    const notHers = request(bob);
    await core.press(notHers, result.buttons![3]!.id);
    expect(notHers.reply.removed).toBe(false);
    expect(notHers.reply.last?.text).toBe('Only the member who asked for these images can delete them.');
    const own = request(alice);
    await core.press(own, result.buttons![3]!.id);
    expect(own.reply.removed).toBe(true);

    // Reroll: the same prompt and settings with a new seed.
    const reroll = request(alice);
    const rerolled = core.press(reroll, result.buttons![0]!.id);
    const again = await stack.runNextJob(solidImage([200, 30, 30]));
    await rerolled;
    expect(again.params).toMatchObject({ prompt: 'a red star on a blue background', steps: 4, width: 80, height: 56 });
    expect(again.params.seed).not.toBe(42);
  });

  it('answers mistakes with what to change, and submits nothing', async () => {
    const cases: [Parameters<BotCore['imagine']>[1], RegExp][] = [
      [{ prompt: '   ' }, /^Describe the image you want: the prompt is empty\.$/],
      [{ prompt: 'a cat', aspect: '20:1' }, /is not an aspect ratio I can draw: use W:H between 1:4 and 4:1/],
      [{ prompt: 'a cat', size: 'big' }, /"big" is not a size: write it as WIDTHxHEIGHT, such as 64x64\./],
      [{ prompt: 'a cat', steps: 500 }, /^I couldn't do that: imagine job: steps: must be from 1 to 150\.$/],
    ];
    const before = ((await stack.cluster.admin.query({ type: 'listJobs' })) as { jobs: Job[] }).jobs.length;
    for (const [options, expected] of cases) {
      const req = request();
      await core.imagine(req, options);
      expect(req.reply.last?.text).toMatch(expected);
    }
    expect(((await stack.cluster.admin.query({ type: 'listJobs' })) as { jobs: Job[] }).jobs.length).toBe(before);
  });

  it('keeps to the server settings an admin sets: channels and blocked words', async () => {
    const notAdmin = request(alice);
    await core.settings(notAdmin, { block: 'gore' });
    expect(notAdmin.reply.whispers).toEqual(["Only this server's admins can do that."]);
    const set = request(admin);
    await core.settings(set, { block: 'gore', allowChannel: 'c-1' });
    expect(set.reply.whispers[0]).toBe('Channels: <#c-1>\nJobs per member at once: 3\nBlocked words: gore');
    const blocked = request(alice);
    await core.imagine(blocked, { prompt: 'lots of Gore' });
    expect(blocked.reply.last?.text).toBe('This server does not allow the word "gore" in prompts; rephrase it and try again.');
    const elsewhere = request(alice, 'c-2');
    await core.imagine(elsewhere, { prompt: 'a cat' });
    expect(elsewhere.reply.last?.text).toBe('The bot works in <#c-1> on this server; ask there.');
    await core.settings(request(admin), { unblock: 'gore', removeChannel: 'c-1' });
  });
});

describe('/train', () => {
  it('refuses photos it cannot use, and a token someone else holds, before uploading anything', async () => {
    const pdf = attachment('scan.pdf', new TextEncoder().encode('%PDF-1.4'), 'application/pdf');
    const photos = await fixturePhotos(3);
    await stack.cluster.admin.propose({ type: 'reserveSubject', token: 'kpl', classWord: 'dog', owner: 'discord:g-1:1002' });
    const cases: [Parameters<BotCore['train']>[1], string][] = [
      [{ photos: [], token: 'zxq', classWord: 'glyph' }, 'Attach 3 to 10 photos of your subject (you attached 0): different angles and backgrounds work best.'],
      [{ photos: Array.from({ length: 30 }, () => photos[0]!), token: 'zxq', classWord: 'glyph' }, 'Attach 3 to 10 photos of your subject (you attached 30): different angles and backgrounds work best.'],
      [{ photos: [...photos.slice(0, 2), pdf], token: 'zxq', classWord: 'glyph' }, 'scan.pdf is not a photo I can use (application/pdf); attach PNG, JPEG or WebP images.'],
      [{ photos, token: 'kpl', classWord: 'dog' }, 'The token "kpl" is already taken (by <@1002>); pick another rare word, such as kplx or a new made-up word.'],
      [{ photos, token: 'Not a token!', classWord: 'glyph' }, '"Not a token!" cannot be a token: use 2 to 32 lowercase letters or digits, a rare word such as sks, zxq or vfy.'],
    ];
    for (const [options, expected] of cases) {
      const req = request();
      await core.train(req, options);
      expect(req.reply.last?.text).toBe(expected);
    }
  });

  it('trains a subject, follows it into the shared model, and announces it in the channel', async () => {
    await stack.importTinyBase();

    const req = request();
    const training = core.train(req, { photos: await fixturePhotos(4), token: 'vfy', classWord: 'glyph' });
    const job = await stack.runNextJob(loraOutput);
    await training;
    expect(job.params).toMatchObject({ token: 'vfy', classWord: 'glyph', photos: ['photo-1.png', 'photo-2.png', 'photo-3.png', 'photo-4.png'] });
    expect(req.reply.shown.map((m) => m.text)).toContain('Checking your 4 photos of **vfy glyph**…');
    expect(req.reply.last?.text).toBe('**vfy glyph** is in the shared model (v2).');
    expect(req.reply.posts).toEqual([{ text: 'trained **vfy glyph** into the shared model (v2). Try it: `/imagine a photo of vfy glyph`', mention: '1001' }]);

    const subjects = request(bob);
    await core.subjects(subjects);
    expect(subjects.reply.last?.text).toContain('• **vfy glyph** by <@1001>: in the model since v2');
    const model = request(bob);
    await core.model(model);
    expect(model.reply.last?.text).toMatch(/^\*\*Model v2\*\*: 1 subjects \(vfy\)\n• v2 \(current\): vfy added \(sum\)/);
  });
});

describe('admin and information commands', () => {
  it('shows an agent token only to an admin, and only to them', async () => {
    const member = request(alice);
    await core.agentToken(member, 'alice-gpu');
    expect(member.reply.whispers).toEqual(["Only this server's admins can do that."]);
    const mod = request(admin);
    await core.agentToken(mod, 'mod-gpu');
    expect(mod.reply.shown).toEqual([]);
    expect(mod.reply.whispers[0]).toMatch(/^Registered agent a-[0-9a-f]+ \("mod-gpu"\)\. Its token, shown only now:\n`tbat_/);
    const list = request(admin);
    await core.agentList(list);
    expect(list.reply.whispers[0]).toContain('"mod-gpu" active, not connected yet');
  });

  it('reports the cluster at a glance, and cancels the member\'s newest job', async () => {
    const status = request(bob);
    await core.status(status);
    expect(status.reply.last?.text).toMatch(/^\*\*Cluster\*\*: 1 of 1 nodes up, leader n1\n\*\*Queue\*\*: 0 waiting, 0 running\n\*\*Agents\*\*: \d+ online of \d+ registered\n\*\*Model\*\*: v2$/);
    const nothing = request(bob);
    await core.cancel(nothing);
    expect(nothing.reply.last?.text).toBe('You have no job waiting or running.');
    const imagine = request(bob);
    const running = core.imagine(imagine, { prompt: 'a green heart' });
    await stack.cluster.admin.query({ type: 'summary' });
    for (let i = 0; i < 100 && imagine.reply.shown.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const cancel = request(bob);
    await core.cancel(cancel);
    await running;
    expect(cancel.reply.whispers[0]).toMatch(/^Cancelled j-\d+\.$/);
    expect(imagine.reply.last?.text).toBe('**a green heart**: cancelled.');
  });
});
