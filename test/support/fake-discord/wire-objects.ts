import type {
  APIAttachment,
  APIEmbed,
  APIMessage,
  APIMessageTopLevelComponent,
  APIRole,
  APITextChannel,
  APIUser,
} from 'discord.js';

/** Permission bits used by the fake (Discord's values). */
export const Permission = {
  AddReactions: 1n << 6n,
  Administrator: 1n << 3n,
  ManageGuild: 1n << 5n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  UseApplicationCommands: 1n << 31n,
} as const;

/** What @everyone may do in the fake guild unless a test says otherwise. */
export const DEFAULT_EVERYONE_PERMISSIONS =
  Permission.AddReactions |
  Permission.ViewChannel |
  Permission.SendMessages |
  Permission.EmbedLinks |
  Permission.AttachFiles |
  Permission.ReadMessageHistory |
  Permission.UseApplicationCommands;

/** Message flag bits the fake applies itself. */
export const MessageFlag = {
  Ephemeral: 1 << 6,
  Loading: 1 << 7,
} as const;

/** A user of the fake: the bot, or a member who sends commands. */
export interface FakeUser {
  id: string;
  username: string;
  globalName: string | null;
  bot: boolean;
}

/** A role of the fake guild; the role whose id is the guild's id is @everyone. */
export interface FakeRole {
  id: string;
  name: string;
  permissions: bigint;
  position: number;
}

/** A text channel of the fake guild. */
export interface FakeChannel {
  id: string;
  name: string;
  guildId: string;
}

/** The one guild the bot is in. */
export interface FakeGuild {
  id: string;
  name: string;
  ownerId: string;
  roles: FakeRole[];
  channels: FakeChannel[];
}

/** A file the fake holds and serves at `url`: a member's upload or one the bot attached. */
export interface FakeAttachment {
  id: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
  url: string;
  width?: number;
  height?: number;
  description?: string;
  /** Files uploaded with a command are ephemeral attachments. */
  ephemeral?: boolean;
}

/**
 * A message as the fake holds it now: edits change it in place, deletion sets `deleted`.
 * Interaction responses and follow-ups carry the interaction's id and the webhook id
 * (the application's), as Discord reports them.
 */
export interface FakeMessage {
  id: string;
  channelId: string;
  author: FakeUser;
  content: string;
  embeds: APIEmbed[];
  components: APIMessageTopLevelComponent[];
  attachments: FakeAttachment[];
  flags: number;
  createdAtMs: number;
  editedAtMs: number | null;
  deleted: boolean;
  webhookId?: string;
  /** The interaction this message answers, and who used it. */
  interaction?: { id: string; type: number; user: FakeUser; commandName?: string };
}

/** A user object (`bot: true` for the bot). */
export function userObject(user: FakeUser): APIUser {
  return {
    id: user.id,
    username: user.username,
    discriminator: '0',
    global_name: user.globalName,
    avatar: null,
    ...(user.bot ? { bot: true } : {}),
  };
}

/** A role object. */
export function roleObject(role: FakeRole): APIRole {
  return {
    id: role.id,
    name: role.name,
    color: 0,
    colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
    hoist: false,
    icon: null,
    unicode_emoji: null,
    position: role.position,
    permissions: role.permissions.toString(),
    managed: false,
    mentionable: false,
    flags: 0 as APIRole['flags'],
  };
}

/** A guild text channel object. */
export function channelObject(channel: FakeChannel): APITextChannel {
  return {
    id: channel.id,
    type: 0,
    guild_id: channel.guildId,
    name: channel.name,
    position: 0,
    permission_overwrites: [],
    nsfw: false,
    topic: null,
    last_message_id: null,
    parent_id: null,
    rate_limit_per_user: 0,
    flags: 0 as APITextChannel['flags'],
  };
}

/** A guild member object; interactions add the member's computed `permissions`. */
export function memberObject(
  user: FakeUser,
  roleIds: string[],
  joinedAt: string,
  permissions?: bigint,
): Record<string, unknown> {
  return {
    user: userObject(user),
    nick: null,
    avatar: null,
    banner: null,
    roles: roleIds,
    joined_at: joinedAt,
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
    ...(permissions !== undefined ? { permissions: permissions.toString() } : {}),
  };
}

/** The payload of GUILD_CREATE: the guild with its roles, channels and the bot's member. */
export function guildCreateObject(
  guild: FakeGuild,
  bot: FakeUser,
  joinedAt: string,
): Record<string, unknown> {
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    banner: null,
    description: null,
    owner_id: guild.ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    mfa_level: 0,
    nsfw_level: 0,
    premium_tier: 0,
    premium_subscription_count: 0,
    premium_progress_bar_enabled: false,
    preferred_locale: 'en-US',
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    public_updates_channel_id: null,
    safety_alerts_channel_id: null,
    vanity_url_code: null,
    application_id: null,
    features: [],
    emojis: [],
    stickers: [],
    roles: guild.roles.map(roleObject),
    channels: guild.channels.map(channelObject),
    threads: [],
    members: [memberObject(bot, [], joinedAt)],
    member_count: 2,
    voice_states: [],
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
    joined_at: joinedAt,
    large: false,
    unavailable: false,
    max_members: 500000,
    max_video_channel_users: 25,
  };
}

/** An attachment object; `url` points at the fake's own download route. */
export function attachmentObject(attachment: FakeAttachment): APIAttachment {
  return {
    id: attachment.id,
    filename: attachment.filename,
    size: attachment.bytes.length,
    url: attachment.url,
    proxy_url: attachment.url,
    content_type: attachment.contentType,
    ...(attachment.width !== undefined ? { width: attachment.width } : {}),
    ...(attachment.height !== undefined ? { height: attachment.height } : {}),
    ...(attachment.description !== undefined ? { description: attachment.description } : {}),
    ...(attachment.ephemeral ? { ephemeral: true } : {}),
  };
}

/** The message object REST answers and interactions carry. */
export function messageObject(message: FakeMessage, guildId: string): APIMessage {
  const { interaction } = message;
  return {
    id: message.id,
    type: interaction?.type === 2 ? 20 : 0,
    channel_id: message.channelId,
    guild_id: guildId,
    author: userObject(message.author),
    content: message.content,
    timestamp: new Date(message.createdAtMs).toISOString(),
    edited_timestamp: message.editedAtMs === null ? null : new Date(message.editedAtMs).toISOString(),
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: message.attachments.map(attachmentObject),
    embeds: message.embeds,
    components: message.components,
    pinned: false,
    flags: message.flags,
    ...(message.webhookId !== undefined
      ? { webhook_id: message.webhookId, application_id: message.webhookId }
      : {}),
    ...(interaction !== undefined
      ? {
          interaction_metadata: {
            id: interaction.id,
            type: interaction.type,
            user: userObject(interaction.user),
            authorizing_integration_owners: { '0': guildId },
            ...(interaction.commandName !== undefined ? { name: interaction.commandName } : {}),
          },
        }
      : {}),
  } as APIMessage;
}
