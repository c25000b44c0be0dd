import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../cluster/state/types.ts';
import { FakeDiscord } from '../../test/support/fake-discord/fake-discord.ts';
import type { MessageEdit } from '../../test/support/fake-discord/message-store.ts';
import { Permission, type FakeMessage } from '../../test/support/fake-discord/wire-objects.ts';
import { BotTestStack, loraOutput, solidImage, subjectPhoto } from '../core/testing/bot-test-stack.ts';
import { deployDiscordCommands, DiscordBot } from './discord-bot.ts';

/**
 * The Discord bot end to end: the real discord.js client connected to a wire-level fake Discord
 * (REST and gateway), the command core, a real one-node cluster with its S3 server, and the GPU
 * agent played by the test through the agent calls.
 */

let stack: BotTestStack;
let discord: FakeDiscord;
let bot: DiscordBot;

beforeAll(async () => {
  stack = await BotTestStack.start();
  discord = await FakeDiscord.start();
  bot = await DiscordBot.start({ token: discord.token, core: stack.core, logger: stack.logger, clientOptions: { rest: { api: discord.apiUrl } }, now: () => discord.now() });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await discord?.close();
  await stack?.close();
});

/** The first text the bot gave an interaction (an edit of its deferred reply, or a follow-up) that `accept` takes. */
async function answered(handle: ReturnType<FakeDiscord['sendCommand']>, accept: (text: string) => boolean): Promise<string> {
  const editText = (e: MessageEdit): string => String(e.body.content ?? '');
  const followUpText = (m: FakeMessage): string => String(m.content ?? '');
  const wait = { timeoutMs: 10_000 };
  try {
    return await Promise.any([
      handle.edits.waitFor((e) => accept(editText(e)), wait).then(editText),
      handle.followUps.waitFor((m) => accept(followUpText(m)), wait).then(followUpText),
    ]);
  } catch (error) {
    throw error instanceof AggregateError ? new Error(`no matching answer: ${error.errors.map(String).join('; ')}`) : error;
  }
}

function photo(name: string, bytes: Uint8Array, contentType = 'image/png') {
  return { name, contentType, bytes };
}

describe('the Discord bot', () => {
  it('registers its slash commands in a server', async () => {
    expect(await deployDiscordCommands({ token: discord.token, guildId: discord.guild.id, api: discord.apiUrl })).toBe(9);
    const names = discord.commands(discord.guild.id).map((c) => c.name);
    expect(names).toEqual(['imagine', 'train', 'subjects', 'model', 'status', 'cancel', 'help', 'agent', 'settings']);
  });

  it('defers /imagine at once, then edits the reply into the image with its buttons', async () => {
    const handle = discord.sendCommand({ name: 'imagine', options: { prompt: 'a red star on a blue background', seed: 3, steps: 4, aspect: '16:9' } });
    expect((await handle.reply()).type).toBe(5);
    const job = await stack.runNextJob(solidImage([200, 20, 20]));
    expect(job.params).toMatchObject({ seed: 3, steps: 4, width: 88, height: 48 });
    const result = await handle.waitForEdit((edit) => edit.files.length > 0, { timeoutMs: 10_000 });
    expect(result.body.content).toBe(`**a red star on a blue background** · seed 3 · 4 steps · 88x48 · model built-in · <@${handle.user.id}>`);
    expect(result.files[0]).toMatchObject({ name: `${job.id}-image-0.png`, contentType: 'image/png' });
    expect(result.files[0]!.bytes.subarray(1, 4).toString()).toBe('PNG');
    const buttons = (result.body.components as { components: { custom_id: string; label: string }[] }[])[0]!.components;
    expect(buttons.map((b) => b.label)).toEqual(['Reroll', 'Variations', 'Parameters', 'Delete']);

    // Parameters answer only the member who pressed, in an ephemeral message.
    const press = discord.clickButton({ messageId: result.messageId, customId: buttons[2]!.custom_id });
    await press.reply();
    expect(await answered(press, (text) => text.startsWith('Parameters of'))).toContain('"seed": 3');
  });

  it('posts a result that comes after the interaction token expired in the channel, mentioning the member', async () => {
    const handle = discord.sendCommand({ name: 'imagine', options: { prompt: 'a slow green heart', seed: 9, steps: 4 } });
    await handle.reply();
    await stack.runNextJob(async (job) => {
      discord.advance(16 * 60_000);
      return solidImage([20, 200, 20])(job);
    });
    // The reply goes on as one channel message, mentioning the member, edited into the result.
    const posted = await discord.channelMessages.waitFor((m) => String(m.content).includes('a slow green heart'), { timeoutMs: 10_000 });
    expect(String(posted.content)).toMatch(new RegExp(`^<@${handle.user.id}> `));
    const result = await discord.channelEdits.waitFor((e) => e.messageId === posted.id && String(e.body.content).includes('seed 9'), { timeoutMs: 10_000 });
    expect(String(result.message.content)).toMatch(new RegExp(`^<@${handle.user.id}> \\*\\*a slow green heart\\*\\* · seed 9`));
    expect(result.message.attachments).toHaveLength(1);
  });

  it('answers bad /train input and a non-admin asking for an agent token clearly, and submits nothing', async () => {
    const before = ((await stack.cluster.admin.query({ type: 'listJobs' })) as { jobs: Job[] }).jobs.length;
    const png = await subjectPhoto('photo-1.png');
    // Discord itself refuses a /train without its three required photos; a wrong file type is ours to catch.
    const pdf = discord.sendCommand({ name: 'train', options: { token: 'zxq', class: 'glyph', photo1: photo('a.png', png), photo2: photo('b.png', png), photo3: photo('scan.pdf', new TextEncoder().encode('%PDF'), 'application/pdf') } });
    await pdf.reply();
    expect((await pdf.waitForEdit(undefined, { timeoutMs: 10_000 })).body.content).toBe('scan.pdf is not a photo I can use (application/pdf); attach PNG, JPEG or WebP images.');
    const empty = discord.sendCommand({ name: 'imagine', options: { prompt: ' ' } });
    await empty.reply();
    expect((await empty.waitForEdit(undefined, { timeoutMs: 10_000 })).body.content).toBe('Describe the image you want: the prompt is empty.');

    const member = discord.sendCommand({ name: 'agent', subcommand: 'token', options: { name: 'sneaky' }, permissions: 0n });
    await member.reply();
    expect(await answered(member, () => true)).toBe("Only this server's admins can do that.");
    const admin = discord.sendCommand({ name: 'agent', subcommand: 'token', options: { name: 'mod-gpu' }, permissions: Permission.ManageGuild });
    expect((await admin.reply()).data).toMatchObject({ flags: 64 });
    expect(await answered(admin, (text) => text.startsWith('Registered'))).toMatch(/^Registered agent a-[0-9a-f]+ \("mod-gpu"\)\. Its token, shown only now:\n`tbat_/);
    expect(((await stack.cluster.admin.query({ type: 'listJobs' })) as { jobs: Job[] }).jobs.length).toBe(before);
  });

  it('trains from attached photos until the channel hears the subject is in the shared model', async () => {
    await stack.importTinyBase();
    const options: Record<string, unknown> = { token: 'vfy', class: 'glyph' };
    for (const [i, name] of ['photo-1.png', 'photo-2.png', 'photo-3.png'].entries()) options[`photo${i + 1}`] = photo(name, await subjectPhoto(name));
    const handle = discord.sendCommand({ name: 'train', options: options as never });
    await handle.reply();
    const job = await stack.runNextJob(loraOutput);
    expect(job.params).toMatchObject({ token: 'vfy', classWord: 'glyph', photos: ['photo-1.png', 'photo-2.png', 'photo-3.png'] });
    const announced = await discord.channelMessages.waitFor((m) => String(m.content).includes('into the shared model'), { timeoutMs: 30_000 });
    expect(announced.content).toBe(`<@${handle.user.id}> trained **vfy glyph** into the shared model (v2). Try it: \`/imagine a photo of vfy glyph\``);
    expect((await handle.waitForEdit((e) => String(e.body.content).includes('is in the shared model'), { timeoutMs: 10_000 })).body.content).toBe('**vfy glyph** is in the shared model (v2).');
  });
});
