import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../cluster/state/types.ts';
import { fileInputValue, plainTextValue, SEED_IDS, type FakeSlack, type SlackSender } from '../../test/support/fake-slack/index.ts';
import { startSlackBotOnFake, type SlackBotOnFake } from '../../test/support/fake-slack/slack-bot-on-fake.ts';
import { BotTestStack, loraOutput, solidImage, subjectPhoto } from '../core/testing/bot-test-stack.ts';

/**
 * The Slack app end to end: the real Bolt app over HTTP, signed requests and a Web API played by
 * a wire-level fake Slack, the command core, a real one-node cluster with its S3 server, and the
 * GPU agent played by the test through the agent calls.
 */

let stack: BotTestStack;
let app: SlackBotOnFake;
let slack: FakeSlack;
let sender: SlackSender;

beforeAll(async () => {
  stack = await BotTestStack.start();
  app = await startSlackBotOnFake({ core: stack.core, logger: stack.logger, adminUserIds: [SEED_IDS.alice], signingSecret: 'slack-test-signing-secret' });
  ({ slack, sender } = app);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

async function jobCount(): Promise<number> {
  return ((await stack.cluster.admin.query({ type: 'listJobs' })) as { jobs: Job[] }).jobs.length;
}

describe('the Slack app', () => {
  it('answers /imagine at once, then posts progress, the image and its buttons', async () => {
    const ack = await sender.slashCommand({ command: '/imagine', text: 'a red star on a blue background --seed 7 --steps 4', userId: SEED_IDS.bob, channelId: SEED_IDS.general });
    expect(ack.status).toBe(200);
    let image: Uint8Array | undefined;
    const job = await stack.runNextJob(async (claimed) => {
      const outputs = await solidImage([10, 200, 10])(claimed);
      image = outputs[0]!.bytes;
      return outputs;
    });
    expect(job.params).toMatchObject({ prompt: 'a red star on a blue background', seed: 7, steps: 4, width: 64, height: 64 });
    expect(job.requester).toBe(`slack:${SEED_IDS.team}:${SEED_IDS.bob}`);
    const upload = await slack.waitForCall('files.completeUploadExternal', undefined, { timeoutMs: 10_000 });
    expect(upload.args.channel_id).toBe(SEED_IDS.general);
    expect(Buffer.from(slack.file(String((upload.args.files as { id: string }[])[0]!.id))!.bytes).equals(Buffer.from(image!))).toBe(true);
    const final = await slack.waitForCall('chat.update', (call) => String(call.args.text).includes('seed 7'), { timeoutMs: 10_000 });
    expect(final.args.text).toBe(`*a red star on a blue background* · seed 7 · 4 steps · 64x64 · model built-in · <@${SEED_IDS.bob}>`);
    const actions = (final.args.blocks as { type: string; elements?: { action_id: string; text: { text: string } }[] }[]).find((b) => b.type === 'actions')!;
    expect(actions.elements!.map((e) => e.text.text)).toEqual(['Reroll', 'Variations', 'Parameters', 'Delete']);

    // The Parameters button answers only to the member who pressed it.
    const params = actions.elements![2]!.action_id;
    expect((await sender.blockAction({ actionId: params, value: params, userId: SEED_IDS.alice, channelId: SEED_IDS.general, messageTs: String(final.args.ts) })).status).toBe(200);
    const whisper = await slack.waitForCall('chat.postEphemeral', (call) => String(call.args.text).includes('Parameters of'), { timeoutMs: 10_000 });
    expect(whisper.args).toMatchObject({ channel: SEED_IDS.general, user: SEED_IDS.alice });
  });

  it('answers mistakes with what to change, and refuses forged requests without running anything', async () => {
    const before = await jobCount();
    await sender.slashCommand({ command: '/imagine', text: '   ', userId: SEED_IDS.bob, channelId: SEED_IDS.general });
    await slack.waitForCall('chat.postMessage', (call) => call.args.text === 'Describe the image you want: the prompt is empty.', { timeoutMs: 10_000 });
    const forged = await sender.slashCommand({ command: '/imagine', text: 'a cat', userId: SEED_IDS.bob, channelId: SEED_IDS.general }, { signing: 'forged' });
    expect(forged.status).toBe(401);
    await sender.slashCommand({ command: '/agent', text: 'token sneaky-gpu', userId: SEED_IDS.bob, channelId: SEED_IDS.general });
    await slack.waitForCall('chat.postEphemeral', (call) => call.args.text === "Only this server's admins can do that." && call.args.user === SEED_IDS.bob, { timeoutMs: 10_000 });
    await sender.slashCommand({ command: '/agent', text: 'token alice-gpu', userId: SEED_IDS.alice, channelId: SEED_IDS.general });
    const token = await slack.waitForCall('chat.postEphemeral', (call) => String(call.args.text).startsWith('Registered agent'), { timeoutMs: 10_000 });
    expect(token.args.user).toBe(SEED_IDS.alice);
    expect(String(token.args.text)).toMatch(/`tbat_[A-Za-z0-9_-]+`/);
    expect(await jobCount()).toBe(before);
  });

  it('trains from the /train form until the channel hears the subject is in the shared model', async () => {
    await stack.importTinyBase();

    await sender.slashCommand({ command: '/train', text: '', userId: SEED_IDS.bob, channelId: SEED_IDS.general });
    await slack.waitForCall('views.open', undefined, { timeoutMs: 10_000 });
    const files = await Promise.all(['photo-1.png', 'photo-2.png', 'photo-3.png'].map(async (name) => slack.addUserFile({ name, mimetype: 'image/png', bytes: await subjectPhoto(name), userId: SEED_IDS.bob })));
    const submitted = await sender.viewSubmission({
      callbackId: 'tb_train',
      userId: SEED_IDS.bob,
      values: { token: { token: plainTextValue('vfy') }, class: { class: plainTextValue('glyph') }, photos: { photos: fileInputValue(files) } },
    });
    expect(submitted.status).toBe(200);
    const job = await stack.runNextJob(loraOutput);
    expect(job.params).toMatchObject({ token: 'vfy', classWord: 'glyph', photos: ['photo-1.png', 'photo-2.png', 'photo-3.png'] });
    const announced = await slack.waitForCall('chat.postMessage', (call) => String(call.args.text).includes('into the shared model'), { timeoutMs: 30_000 });
    expect(announced.args).toMatchObject({ channel: SEED_IDS.general, text: `<@${SEED_IDS.bob}> trained *vfy glyph* into the shared model (v2). Try it: \`/imagine a photo of vfy glyph\`` });
  });
});
