import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  MessageFlags,
  PermissionFlagsBits,
  RESTJSONErrorCodes,
  REST,
  Routes,
  type Attachment,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type ClientOptions,
  type Interaction,
  type Message,
  type SendableChannels,
} from 'discord.js';
import type { Logger } from 'pino';
import type { BotCore } from '../core/bot-core.ts';
import { givenOption, type ChatAttachment, type ChatButton, type ChatMember, type ChatMessage, type ChatReply, type ChatRequest } from '../core/chat-port.ts';
import { fetchBytes } from '../core/fetch-bytes.ts';
import { discordCommands } from './discord-commands.ts';

/** Options of {@link DiscordBot.start}. */
export interface DiscordBotOptions {
  /** The bot token (TEAMBOOTH_DISCORD_TOKEN); never logged. */
  token: string;
  core: BotCore;
  logger: Logger;
  /** Members with this role may use the admin commands, besides those with Manage Server. */
  adminRoleId?: string;
  /** More discord.js client options (e.g. `rest.api` of another Discord endpoint). */
  clientOptions?: Partial<ClientOptions>;
  now?: () => number;
}

/** Discord lets a bot edit an interaction's reply for 15 minutes; after that, results go to the channel. */
const INTERACTION_TOKEN_MS = 15 * 60_000;
/** Margin before the token's end, for the call itself. */
const TOKEN_MARGIN_MS = 30_000;
/** What one message may carry. */
const DISCORD_LIMITS = { contentChars: 2000, files: 10, totalFileBytes: 10 * 2 ** 20 } as const;
/** Button presses that answer with a new message; the others answer only to the member. */
const PUBLIC_BUTTONS = new Set(['reroll', 'vary']);

/**
 * The Discord side of the bot (discord.js v14): slash commands and buttons become calls of the
 * command core, and the core's replies become a deferred reply kept up to date with `editReply`,
 * ephemeral follow-ups, and channel messages. Every interaction is deferred at once (Discord
 * wants an answer within 3 s). Results that arrive after the interaction token expired are
 * posted in the channel, mentioning the member.
 */
export class DiscordBot {
  readonly client: Client;
  readonly #options: DiscordBotOptions;
  readonly #running = new Set<AbortController>();

  private constructor(options: DiscordBotOptions) {
    this.#options = options;
    this.client = new Client({ intents: [GatewayIntentBits.Guilds], ...options.clientOptions });
    this.client.on(Events.InteractionCreate, (interaction) => void this.#handle(interaction));
    this.client.on(Events.Error, (error) => options.logger.warn({ err: error }, 'discord client error'));
  }

  /** Logs in and resolves once the gateway session is ready. */
  static async start(options: DiscordBotOptions): Promise<DiscordBot> {
    const bot = new DiscordBot(options);
    const ready = new Promise<void>((resolve) => bot.client.once(Events.ClientReady, () => resolve()));
    await bot.client.login(options.token);
    await ready;
    options.logger.info({ user: bot.client.user?.tag }, 'discord bot ready');
    return bot;
  }

  /** Stops following jobs and closes the gateway connection. */
  async stop(): Promise<void> {
    for (const controller of this.#running) controller.abort();
    await this.client.destroy();
  }

  async #handle(interaction: Interaction): Promise<void> {
    if (!interaction.isChatInputCommand() && !interaction.isButton()) return;
    if (interaction.guildId === null) {
      await interaction.reply({ content: 'Use me in a server channel.', flags: MessageFlags.Ephemeral }).catch(() => {});
      return;
    }
    const controller = new AbortController();
    this.#running.add(controller);
    try {
      if (interaction.isChatInputCommand()) await this.#command(interaction, controller.signal);
      else await this.#button(interaction, controller.signal);
    } catch (error) {
      this.#options.logger.warn({ err: error, interaction: interaction.id }, 'discord interaction failed');
    } finally {
      this.#running.delete(controller);
    }
  }

  async #command(interaction: ChatInputCommandInteraction, signal: AbortSignal): Promise<void> {
    const { core } = this.#options;
    const name = interaction.commandName;
    const adminCommand = name === 'agent' || name === 'settings';
    await interaction.deferReply(adminCommand ? { flags: MessageFlags.Ephemeral } : {});
    const request = this.#request(interaction, signal, adminCommand);
    const o = interaction.options;
    switch (name) {
      case 'imagine':
        return core.imagine(request, {
          prompt: o.getString('prompt', true),
          ...givenOption('negative', o.getString('negative')),
          ...givenOption('seed', o.getInteger('seed')),
          ...givenOption('steps', o.getInteger('steps')),
          ...givenOption('aspect', o.getString('aspect')),
          ...givenOption('size', o.getString('size')),
          ...givenOption('guidance', o.getNumber('guidance')),
          ...givenOption('count', o.getInteger('count')),
        });
      case 'train': {
        const photos = interaction.options.data.filter((option) => option.attachment !== undefined).map((option) => toAttachment(option.attachment!));
        return core.train(request, { photos, token: o.getString('token', true), classWord: o.getString('class', true) });
      }
      case 'subjects':
        return core.subjects(request);
      case 'model':
        return core.model(request);
      case 'status':
        return core.status(request);
      case 'cancel':
        return core.cancel(request, o.getString('job') ?? undefined);
      case 'help':
        return core.help(request);
      case 'agent': {
        const sub = o.getSubcommand();
        if (sub === 'token') return core.agentToken(request, o.getString('name', true));
        if (sub === 'revoke') return core.agentRevoke(request, o.getString('id', true));
        return core.agentList(request);
      }
      case 'settings':
        return core.settings(request, {
          ...givenOption('allowChannel', o.getChannel('allow-channel')?.id),
          ...givenOption('removeChannel', o.getChannel('remove-channel')?.id),
          ...givenOption('block', o.getString('block')),
          ...givenOption('unblock', o.getString('unblock')),
          ...givenOption('maxJobs', o.getInteger('max-jobs')),
        });
      default:
        await interaction.editReply({ content: `I do not know /${name}; try /help.` });
    }
  }

  async #button(interaction: ButtonInteraction, signal: AbortSignal): Promise<void> {
    const action = interaction.customId.split(':')[1] ?? '';
    if (action === 'delete') await interaction.deferUpdate();
    else await interaction.deferReply(PUBLIC_BUTTONS.has(action) ? {} : { flags: MessageFlags.Ephemeral });
    const request = this.#request(interaction, signal, !PUBLIC_BUTTONS.has(action));
    await this.#options.core.press(request, interaction.customId);
  }

  #request(interaction: ChatInputCommandInteraction | ButtonInteraction, signal: AbortSignal, ephemeral: boolean): ChatRequest {
    const now = this.#options.now ?? Date.now;
    let expired = false;
    const tokenValid = (): boolean => !expired && now() < interaction.createdTimestamp + INTERACTION_TOKEN_MS - TOKEN_MARGIN_MS;
    const channel = (): SendableChannels | undefined => (interaction.channel?.isSendable() === true ? interaction.channel : undefined);
    const member: ChatMember = { id: interaction.user.id, name: interaction.user.username, isAdmin: this.#isAdmin(interaction) };
    /** Once the interaction token has expired, the reply continues as a channel message mentioning the member. */
    let fallback: Message | undefined;
    const reply: ChatReply = {
      show: async (message) => {
        if (tokenValid()) {
          try {
            await interaction.editReply(render(message));
            return;
          } catch (error) {
            if (!(error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.InvalidWebhookToken)) throw error;
            expired = true;
          }
        }
        if (ephemeral) return;
        const rendered = render({ ...message, text: `<@${member.id}> ${message.text}` });
        if (fallback === undefined) fallback = await channel()?.send(rendered);
        else fallback = await fallback.edit({ ...rendered, attachments: [] });
      },
      post: async (message) => {
        await channel()?.send(render({ ...message, text: message.mention === undefined ? message.text : `<@${message.mention}> ${message.text}` }));
      },
      whisper: async (text) => {
        if (tokenValid()) await interaction.followUp({ content: clip(text), flags: MessageFlags.Ephemeral });
      },
      remove: async () => {
        if (interaction.isButton()) await interaction.message.delete();
      },
    };
    return {
      place: { platform: 'discord', serverId: interaction.guildId!, channelId: interaction.channelId },
      member,
      reply,
      interactionId: interaction.id,
      signal,
    };
  }

  #isAdmin(interaction: ChatInputCommandInteraction | ButtonInteraction): boolean {
    if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild) === true) return true;
    const roleId = this.#options.adminRoleId;
    const roles = interaction.member?.roles;
    if (roleId === undefined || roles === undefined) return false;
    return Array.isArray(roles) ? roles.includes(roleId) : roles.cache.has(roleId);
  }
}

/**
 * Registers the bot's slash commands through the REST API (no gateway session needed): in one
 * server at once, or globally (Discord may take up to an hour to show global commands). Returns
 * how many were registered.
 */
export async function deployDiscordCommands(options: { token: string; guildId?: string; api?: string }): Promise<number> {
  const rest = new REST({ version: '10', ...(options.api === undefined ? {} : { api: options.api }) }).setToken(options.token);
  const application = (await rest.get(Routes.currentApplication())) as { id: string };
  const commands = discordCommands();
  await rest.put(options.guildId === undefined ? Routes.applicationCommands(application.id) : Routes.applicationGuildCommands(application.id, options.guildId), { body: commands });
  return commands.length;
}

function toAttachment(attachment: Attachment): ChatAttachment {
  return {
    name: attachment.name,
    contentType: attachment.contentType,
    size: attachment.size,
    download: (signal) => fetchBytes(attachment.url, `${attachment.name} from Discord`, signal),
  };
}

function clip(text: string): string {
  return text.length <= DISCORD_LIMITS.contentChars ? text : `${text.slice(0, DISCORD_LIMITS.contentChars - 1)}…`;
}

const STYLES: Record<ChatButton['style'], ButtonStyle> = { primary: ButtonStyle.Primary, secondary: ButtonStyle.Secondary, danger: ButtonStyle.Danger };

/** A core message as a Discord message: content, files (within Discord's limits) and one row of buttons. */
function render(message: ChatMessage): { content: string; files: AttachmentBuilder[]; components: ActionRowBuilder<ButtonBuilder>[] } {
  const files: AttachmentBuilder[] = [];
  let bytes = 0;
  for (const image of message.images ?? []) {
    if (files.length >= DISCORD_LIMITS.files || bytes + image.bytes.byteLength > DISCORD_LIMITS.totalFileBytes) break;
    bytes += image.bytes.byteLength;
    files.push(new AttachmentBuilder(Buffer.from(image.bytes), { name: image.name }));
  }
  const buttons = (message.buttons ?? []).slice(0, 5).map((b) => new ButtonBuilder().setCustomId(b.id).setLabel(b.label).setStyle(STYLES[b.style]));
  return { content: clip(message.text), files, components: buttons.length === 0 ? [] : [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons)] };
}
