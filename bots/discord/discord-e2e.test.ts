import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../../test/support/fake-discord/fake-discord.ts';
import { BotTestStack, SUBJECT_PHOTOS, subjectPhoto } from '../core/testing/bot-test-stack.ts';
import { DiscordBot } from './discord-bot.ts';

/**
 * The Discord bot end to end with nothing played by the test but Discord: a real node with
 * its S3 server, the built-in tiny model imported as the base version, and a real CPU agent that
 * trains and draws. A member trains a fixture subject from the chat until the channel hears it is
 * merged, then draws it with its token and gets the image, from the merged version.
 */

let stack: BotTestStack;
let discord: FakeDiscord;
let discordBot: DiscordBot;

beforeAll(async () => {
  stack = await BotTestStack.startWithRealAgent();
  discord = await FakeDiscord.start();
  discordBot = await DiscordBot.start({ token: discord.token, core: stack.core, logger: stack.logger, clientOptions: { rest: { api: discord.apiUrl } }, now: () => discord.now() });
}, 120_000);

afterAll(async () => {
  await discordBot?.stop();
  await discord?.close();
  await stack?.close();
});

// Each bot runs in its own process (teambooth bot discord|slack), so each has its own test file:
// discord.js and Bolt loaded into one process disagree about the HTTP client they share.
describe('the Discord bot with a real agent', { timeout: 240_000 }, () => {
  it('/train until the merge is announced, then /imagine with the token draws on the merged version', async () => {
    const options: Record<string, unknown> = { token: 'vfy', class: 'glyph' };
    for (const [i, name] of SUBJECT_PHOTOS.slice(0, 4).entries()) options[`photo${i + 1}`] = { name, contentType: 'image/png', bytes: await subjectPhoto(name) };
    const train = discord.sendCommand({ name: 'train', options: options as never });
    await train.reply();
    const announced = await discord.channelMessages.waitFor((m) => String(m.content).includes('into the shared model'), { timeoutMs: 180_000 });
    expect(announced.content).toBe(`<@${train.user.id}> trained **vfy glyph** into the shared model (v2). Try it: \`/imagine a photo of vfy glyph\``);

    const imagine = discord.sendCommand({ name: 'imagine', options: { prompt: 'a photo of vfy glyph', seed: 5, steps: 8 } });
    await imagine.reply();
    const result = await imagine.waitForEdit((edit) => edit.files.length > 0, { timeoutMs: 60_000 });
    expect(result.body.content).toMatch(/^\*\*a photo of vfy glyph\*\* · seed 5 · 8 steps · 64x64 · model v2 · /);
    expect(result.files[0]!.bytes.subarray(1, 4).toString()).toBe('PNG');
  });
});
