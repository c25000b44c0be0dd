import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileInputValue, plainTextValue, SEED_IDS, type FakeSlack, type SlackSender } from '../../test/support/fake-slack/index.ts';
import { startSlackBotOnFake, type SlackBotOnFake } from '../../test/support/fake-slack/slack-bot-on-fake.ts';
import { BotTestStack, SUBJECT_PHOTOS, subjectPhoto } from '../core/testing/bot-test-stack.ts';

/**
 * The Slack app end to end with nothing played by the test but Slack: a real node with
 * its S3 server, the built-in tiny model imported as the base version, and a real CPU agent that
 * trains and draws. A member trains a fixture subject from the chat until the channel hears it is
 * merged, then draws it with its token and gets the image, from the merged version.
 */

let stack: BotTestStack;
let app: SlackBotOnFake;
let slack: FakeSlack;
let sender: SlackSender;

beforeAll(async () => {
  stack = await BotTestStack.startWithRealAgent();
  app = await startSlackBotOnFake({ core: stack.core, logger: stack.logger, signingSecret: 'e2e-signing-secret' });
  ({ slack, sender } = app);
}, 120_000);

afterAll(async () => {
  await app?.close();
  await stack?.close();
});

describe('the Slack app with a real agent', { timeout: 240_000 }, () => {
  it('the /train form until the merge is announced, then /imagine with the token draws on the merged version', async () => {
    await sender.slashCommand({ command: '/train', text: '', userId: SEED_IDS.bob, channelId: SEED_IDS.general });
    await slack.waitForCall('views.open', undefined, { timeoutMs: 10_000 });
    const files = await Promise.all(SUBJECT_PHOTOS.slice(0, 4).map(async (name) => slack.addUserFile({ name, mimetype: 'image/png', bytes: await subjectPhoto(name), userId: SEED_IDS.bob })));
    await sender.viewSubmission({
      callbackId: 'tb_train',
      userId: SEED_IDS.bob,
      values: { token: { token: plainTextValue('qjx') }, class: { class: plainTextValue('glyph') }, photos: { photos: fileInputValue(files) } },
    });
    const announced = await slack.waitForCall('chat.postMessage', (call) => String(call.args.text).includes('into the shared model'), { timeoutMs: 180_000 });
    expect(announced.args.text).toBe(`<@${SEED_IDS.bob}> trained *qjx glyph* into the shared model (v2). Try it: \`/imagine a photo of qjx glyph\``);

    await sender.slashCommand({ command: '/imagine', text: 'a photo of qjx glyph --seed 5 --steps 8', userId: SEED_IDS.bob, channelId: SEED_IDS.general });
    const upload = await slack.waitForCall('files.completeUploadExternal', undefined, { timeoutMs: 60_000 });
    const file = slack.file(String((upload.args.files as { id: string }[])[0]!.id))!;
    expect(file.bytes.subarray(1, 4).toString()).toBe('PNG');
    const final = await slack.waitForCall('chat.update', (call) => String(call.args.text).includes('model v2'), { timeoutMs: 60_000 });
    expect(final.args.text).toMatch(/^\*a photo of qjx glyph\* · seed 5 · 8 steps · 64x64 · model v2 · /);
  });
});
