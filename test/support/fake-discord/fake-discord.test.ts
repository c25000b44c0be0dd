import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  ModalBuilder,
  PermissionFlagsBits,
  SlashCommandBuilder,
  TextInputBuilder,
  TextInputStyle,
  Routes,
  type ChatInputCommandInteraction,
  type Interaction,
} from 'discord.js';
import { FakeDiscord } from './fake-discord.ts';
import { CallbackType, TOKEN_LIFETIME_MS, type InteractionHandle } from './interaction-handle.ts';
import type { CommandInput } from './interaction-payloads.ts';
import { Op } from './gateway-server.ts';
import { Permission } from './wire-objects.ts';

/** A 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const JPEG_UPLOAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);

const imagine = new SlashCommandBuilder()
  .setName('imagine')
  .setDescription('Generate an image')
  .addStringOption((o) => o.setName('prompt').setDescription('What to draw').setRequired(true))
  .addIntegerOption((o) => o.setName('steps').setDescription('Diffusion steps'))
  .addAttachmentOption((o) => o.setName('photo').setDescription('A reference photo'));
const admin = new SlashCommandBuilder()
  .setName('admin')
  .setDescription('Administer the shared model')
  .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild);

/** A discord.js client pointed at `fake`, logged in and ready. */
async function connect(fake: FakeDiscord, token = fake.token): Promise<Client> {
  const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  const ready = once(client, Events.ClientReady);
  await client.login(token);
  await ready;
  return client;
}

function nextInteraction(client: Client): Promise<Interaction> {
  return once(client, Events.InteractionCreate).then(([interaction]) => interaction as Interaction);
}

/** Sends a slash command through `fake` and returns it as `client` received it. */
async function command(
  fake: FakeDiscord,
  client: Client,
  input: CommandInput,
): Promise<{ handle: InteractionHandle; interaction: ChatInputCommandInteraction }> {
  const received = nextInteraction(client);
  const handle = fake.sendCommand(input);
  const interaction = await received;
  if (!interaction.isChatInputCommand()) throw new Error(`expected a chat input command, got type ${interaction.type}`);
  return { handle, interaction };
}

describe('FakeDiscord with the real discord.js client', () => {
  const logs: string[] = [];
  let fake: FakeDiscord;
  let client: Client;

  beforeAll(async () => {
    fake = await FakeDiscord.start({ log: (line) => logs.push(line) });
    client = await connect(fake);
  });

  afterAll(async () => {
    await client?.destroy();
    await fake?.close();
  });

  afterEach(() => {
    expect(fake.unhandledRequests().filter((r) => !r.path.startsWith('/guilds/'))).toEqual([]);
  });

  it('logs in over REST and the gateway and becomes ready with the guild cached', async () => {
    expect(client.isReady()).toBe(true);
    expect(client.user?.id).toBe(fake.bot.id);
    expect(client.application?.id).toBe(fake.application.id);
    const guild = client.guilds.cache.get(fake.guild.id);
    expect(guild?.available).toBe(true);
    expect(guild?.channels.cache.get(fake.channel.id)?.name).toBe('general');
    expect(guild?.roles.cache.map((r) => r.name).sort()).toEqual(['@everyone', 'Moderator']);

    const gatewayBot = fake.requests.all().find((r) => r.path === '/gateway/bot');
    expect(gatewayBot).toMatchObject({ method: 'GET', authorized: true, status: 200 });
    expect(fake.gateway.connections.at(0)).toMatchObject({ path: '/gateway', query: { v: '10', encoding: 'json' } });
    const identify = fake.gateway.frames.all().find((f) => f.op === Op.Identify);
    expect(identify?.d).toMatchObject({ token: fake.token, intents: GatewayIntentBits.Guilds });
    const dispatched = fake.gateway.frames.all().filter((f) => f.direction === 'sent' && f.op === Op.Dispatch);
    expect(dispatched.slice(0, 2).map((f) => [f.t, f.s])).toEqual([
      ['READY', 1],
      ['GUILD_CREATE', 2],
    ]);
  });

  it('refuses a wrong bot token with 401, so login fails', async () => {
    const intruder = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    try {
      await expect(intruder.login('not-the-token')).rejects.toThrow(/invalid token/i);
    } finally {
      await intruder.destroy();
    }
    expect(fake.requests.last()).toMatchObject({ path: '/gateway/bot', authorized: false, status: 401 });
  });

  it('stores commands from client.application.commands.set, per scope', async () => {
    const set = await client.application!.commands.set([imagine, admin]);
    expect(set.map((c) => c.name).sort()).toEqual(['admin', 'imagine']);
    const stored = fake.commands();
    expect(stored.map((c) => c.name)).toEqual(['imagine', 'admin']);
    expect(stored.find((c) => c.name === 'admin')?.default_member_permissions).toBe(
      PermissionFlagsBits.ManageGuild.toString(),
    );
    expect(set.get(stored[0]!.id)?.name).toBe('imagine');

    await client.application!.commands.set([imagine], fake.guild.id);
    expect(fake.commands(fake.guild.id).map((c) => c.name)).toEqual(['imagine']);
    const fetched = await client.application!.commands.fetch();
    expect(fetched.size).toBe(2);
    // An overwrite keeps the id of a command whose name stays.
    await client.application!.commands.set([imagine]);
    expect(fake.commands()[0]!.id).toBe(stored[0]!.id);
    await client.application!.commands.set([imagine, admin]);
  });

  it('delivers a slash command with string, integer and attachment options and the member permissions', async () => {
    const { handle, interaction } = await command(fake, client, {
      name: 'imagine',
      options: {
        prompt: 'a red star',
        steps: 4,
        photo: { name: 'dog.jpg', contentType: 'image/jpeg', bytes: JPEG_UPLOAD, width: 64, height: 64 },
      },
      permissions: Permission.ManageGuild | Permission.SendMessages,
      roles: [fake.role('Moderator').id],
    });
    expect(interaction.id).toBe(handle.id);
    expect(interaction.commandName).toBe('imagine');
    // The guild's command of that name is the one a member picks.
    expect(interaction.commandId).toBe(fake.commands(fake.guild.id).find((c) => c.name === 'imagine')?.id);
    expect(interaction.commandGuildId).toBe(fake.guild.id);
    expect(interaction.options.getString('prompt')).toBe('a red star');
    expect(interaction.options.getInteger('steps')).toBe(4);
    expect(interaction.user.id).toBe(fake.member.id);
    expect(interaction.channelId).toBe(fake.channel.id);
    expect(interaction.inCachedGuild()).toBe(true);
    expect(interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)).toBe(true);
    expect(interaction.memberPermissions?.has(PermissionFlagsBits.Administrator)).toBe(false);
    if (!interaction.inCachedGuild()) throw new Error('expected a cached guild');
    expect(interaction.member.roles.cache.has(fake.role('Moderator').id)).toBe(true);

    const photo = interaction.options.getAttachment('photo', true);
    expect(photo).toMatchObject({ name: 'dog.jpg', contentType: 'image/jpeg', size: JPEG_UPLOAD.length, width: 64 });
    const download = await fetch(photo.url);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await download.arrayBuffer())).toEqual(JPEG_UPLOAD);
    await interaction.reply({ content: 'ok', flags: MessageFlags.Ephemeral });
  });

  it('checks commands against their registration', () => {
    expect(() => fake.sendCommand({ name: 'imagine', options: {} })).toThrow(/needs option\(s\) prompt/);
    expect(() => fake.sendCommand({ name: 'imagine', options: { prompt: 'x', steps: 1.5 } })).toThrow(/type 4/);
    expect(() => fake.sendCommand({ name: 'imagine', options: { prompt: 'x', seed: 1 } })).toThrow(/no option "seed"/);
  });

  it('records deferReply, editReply with a PNG and a button row, followUp, and a button update', async () => {
    const { handle, interaction } = await command(fake, client, { name: 'imagine', options: { prompt: 'a blue circle' } });

    await interaction.deferReply();
    expect(await handle.reply()).toMatchObject({ type: CallbackType.DeferredChannelMessageWithSource });
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId('reroll').setLabel('Reroll').setStyle(ButtonStyle.Primary),
    );
    const edited = await interaction.editReply({
      content: 'done: a blue circle',
      files: [{ attachment: PNG, name: 'image.png' }],
      components: [row],
    });
    const edit = await handle.waitForEdit((e) => e.message.content.startsWith('done'));
    expect(edit.files).toEqual([{ field: 'files[0]', name: 'image.png', contentType: 'image/png', bytes: PNG }]);
    expect(edit.message.attachments.map((a) => [a.filename, a.contentType, a.bytes])).toEqual([
      ['image.png', 'image/png', PNG],
    ]);
    expect(edit.body.components).toEqual([row.toJSON()]);
    expect(edited.id).toBe(handle.originalMessageId);
    expect(edited.attachments.first()?.name).toBe('image.png');
    const served = await fetch(edited.attachments.first()!.url);
    expect(Buffer.from(await served.arrayBuffer())).toEqual(PNG);
    await expect(handle.waitForEdit(() => false, { timeoutMs: 20 })).rejects.toThrow(
      /no matching edit within 20 ms; edit entries received:\n {2}#0 \d+ \{"content":"done: a blue circle"/,
    );

    const followUp = await interaction.followUp({ content: 'also: a variation' });
    expect((await handle.waitForFollowUp()).content).toBe('also: a variation');
    expect(followUp.id).not.toBe(handle.originalMessageId);

    const clicked = nextInteraction(client);
    const click = fake.clickButton({ messageId: edited.id, customId: 'reroll' });
    const button = await clicked;
    if (!button.isButton()) throw new Error('expected a button interaction');
    expect(button.customId).toBe('reroll');
    expect(button.message.id).toBe(edited.id);
    await button.update({ content: 'rerolling...', components: [] });
    expect(await click.reply()).toMatchObject({ type: CallbackType.UpdateMessage, data: { content: 'rerolling...' } });
    expect(fake.message(edited.id)).toMatchObject({ content: 'rerolling...', components: [] });
    expect(fake.message(edited.id)?.attachments).toHaveLength(1);
    expect(() => fake.clickButton({ messageId: edited.id, customId: 'reroll' })).toThrow(/no button "reroll"/);
  });

  it('turns the first followUp after a deferral into the deferred reply', async () => {
    const { handle, interaction } = await command(fake, client, { name: 'imagine', options: { prompt: 'x' } });
    const deferred = await interaction.deferReply({ flags: MessageFlags.Ephemeral, withResponse: true });
    expect(deferred.interaction).toMatchObject({ responseMessageLoading: true, responseMessageEphemeral: true });
    expect(deferred.resource?.message?.id).toBe(handle.originalMessageId);
    const first = await interaction.followUp({ content: 'first' });
    const second = await interaction.followUp({ content: 'second' });
    expect(first.id).toBe(handle.originalMessageId);
    expect(second.id).not.toBe(first.id);
    expect(fake.message(first.id)?.flags).toBe(MessageFlags.Ephemeral);
    await interaction.deleteReply(second);
    expect(fake.message(second.id)?.deleted).toBe(true);
  });

  it('rejects webhook calls after the token expires, so the bot can fall back to a channel message', async () => {
    const { handle, interaction } = await command(fake, client, { name: 'imagine', options: { prompt: 'slow' } });
    await interaction.deferReply();
    fake.advance(TOKEN_LIFETIME_MS);

    const failure = await interaction.editReply({ content: 'too late' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(DiscordAPIError);
    expect(failure).toMatchObject({ status: 401, code: 50027, message: 'Invalid Webhook Token' });
    expect(handle.edits.length).toBe(0);

    const channel = interaction.channel;
    if (channel === null || !channel.isSendable()) throw new Error('expected a sendable channel');
    const sent = await channel.send({ content: 'here it is', files: [{ attachment: PNG, name: 'late.png' }] });
    const posted = await fake.channelMessages.waitFor((m) => m.id === sent.id);
    expect(posted).toMatchObject({ content: 'here it is', channelId: fake.channel.id });
    expect(posted.attachments[0]?.bytes).toEqual(PNG);
    await sent.edit({ content: 'here it is (edited)' });
    const edit = await fake.channelEdits.waitFor((e) => e.messageId === sent.id);
    expect(edit.message).toMatchObject({ content: 'here it is (edited)', attachments: posted.attachments });
  });

  it('enforces one callback within 3 s, and carries a modal and its submission', async () => {
    const stale = await command(fake, client, { name: 'admin' });
    fake.advance(3_001);
    await expect(stale.interaction.deferReply()).rejects.toMatchObject({ status: 404, code: 10062 });

    const { handle, interaction } = await command(fake, client, { name: 'admin' });
    const modal = new ModalBuilder()
      .setCustomId('train')
      .setTitle('Train a subject')
      .addComponents(
        new ActionRowBuilder<TextInputBuilder>().addComponents(
          new TextInputBuilder().setCustomId('token').setLabel('Token').setStyle(TextInputStyle.Short),
        ),
      );
    await interaction.showModal(modal);
    expect(await handle.reply()).toMatchObject({ type: CallbackType.Modal, data: { custom_id: 'train' } });
    await expect(interaction.reply('again')).rejects.toThrow();
    await expect(
      client.rest.post(`/interactions/${handle.id}/${handle.token}/callback`, { body: { type: 4, data: { content: 'x' } }, auth: false }),
    ).rejects.toMatchObject({ status: 400, code: 40060 });

    const submitted = nextInteraction(client);
    const submission = fake.submitModal({ customId: 'train', fields: { token: 'zxq' } });
    const modalSubmit = await submitted;
    if (!modalSubmit.isModalSubmit()) throw new Error('expected a modal submission');
    expect(modalSubmit.fields.getTextInputValue('token')).toBe('zxq');
    await modalSubmit.reply({ content: 'training zxq', files: [{ attachment: PNG, name: 'ref.png' }] });
    const reply = await submission.reply();
    expect(reply).toMatchObject({ type: CallbackType.ChannelMessageWithSource, data: { content: 'training zxq' } });
    expect(reply.files.map((f) => [f.name, f.bytes])).toEqual([['ref.png', PNG]]);
    expect((await modalSubmit.fetchReply()).attachments.first()?.name).toBe('ref.png');
  });

  it('lets another member click a button on a channel message; deferUpdate then editReply edits it', async () => {
    const channel = client.channels.cache.get(fake.channel.id);
    if (channel === undefined || !channel.isSendable()) throw new Error('expected a sendable channel');
    const cancel = new ButtonBuilder().setCustomId('cancel').setLabel('Cancel').setStyle(ButtonStyle.Danger);
    const posted = await channel.send({
      content: 'job 7 queued',
      components: [new ActionRowBuilder<ButtonBuilder>().addComponents(cancel)],
    });
    const other = fake.addUser('other');

    const clicked = nextInteraction(client);
    const click = fake.clickButton({ messageId: posted.id, customId: 'cancel', user: other });
    const button = await clicked;
    if (!button.isButton()) throw new Error('expected a button interaction');
    expect(button.user.username).toBe('other');
    expect(button.memberPermissions?.has(PermissionFlagsBits.ManageGuild)).toBe(false);
    await button.deferUpdate();
    await button.editReply({ content: 'job 7 cancelled', components: [] });
    expect(await click.reply()).toMatchObject({ type: CallbackType.DeferredUpdateMessage });
    expect((await click.waitForEdit()).messageId).toBe(posted.id);
    expect(fake.message(posted.id)).toMatchObject({ content: 'job 7 cancelled', components: [] });
    expect(fake.message(posted.id)?.editedAtMs).toBe(fake.now());

    await posted.delete();
    expect(fake.message(posted.id)?.deleted).toBe(true);
    await expect(posted.edit('gone')).rejects.toMatchObject({ status: 404, code: 10008 });
  });

  it('serves the bot user, the application, users and the channel', async () => {
    expect(await client.rest.get(Routes.user())).toMatchObject({ id: fake.bot.id, bot: true });
    expect((await client.application!.fetch()).name).toBe(fake.application.name);
    expect((await client.users.fetch(fake.member.id, { force: true })).username).toBe('member');
    await expect(client.users.fetch('1000000000000000000', { force: true })).rejects.toMatchObject({ code: 10013 });
    const channel = await client.channels.fetch(fake.channel.id, { force: true });
    expect(channel?.id).toBe(fake.channel.id);
  });

  it('answers unknown routes with a Discord-style 404 and logs them', async () => {
    await expect(client.rest.get(`/guilds/${fake.guild.id}/bans`)).rejects.toMatchObject({
      status: 404,
      rawError: { message: '404: Not Found', code: 0 },
    });
    expect(fake.unhandledRequests().map((r) => `${r.method} ${r.path}`)).toEqual([`GET /guilds/${fake.guild.id}/bans`]);
    expect(logs).toEqual([`fake-discord: no route for GET /api/v10/guilds/${fake.guild.id}/bans`]);
  });
});

describe('FakeDiscord gateway session', () => {
  it('acks heartbeats and replays missed events when the client resumes', async () => {
    const fake = await FakeDiscord.start({ heartbeatIntervalMs: 25 });
    const client = await connect(fake);
    try {
      await fake.gateway.frames.waitFor((f) => f.op === Op.HeartbeatAck);
      await fake.gateway.frames.waitFor((f) => f.op === Op.Heartbeat && f.d === 2);

      const resumed = once(client, Events.ShardResume);
      fake.gateway.requestReconnect();
      expect(await fake.gateway.disconnections.waitFor()).toEqual({ connection: 0, code: 4200 });
      const received = nextInteraction(client);
      const handle = fake.sendCommand({ name: 'ping' });
      await resumed;
      const interaction = await received;
      expect(interaction.id).toBe(handle.id);

      const second = fake.gateway.connections.at(1);
      expect(second).toMatchObject({ path: '/gateway/resume', query: { v: '10', encoding: 'json' } });
      const resume = fake.gateway.frames.all().find((f) => f.op === Op.Resume);
      expect(resume?.d).toMatchObject({ token: fake.token, session_id: 'fake-session-1', seq: 2 });
      const replayed = fake.gateway.frames.all().filter((f) => f.connection === 1 && f.op === Op.Dispatch);
      expect(replayed.map((f) => [f.t, f.s])).toEqual([
        ['INTERACTION_CREATE', 3],
        ['RESUMED', 4],
      ]);
    } finally {
      await client.destroy();
      await fake.close();
    }
  });
});
