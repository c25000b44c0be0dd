/**
 * What the command core needs of a chat platform, and nothing more: who is asking and where, the
 * files they attached, and one message to keep up to date. The Discord and Slack adapters
 * adapters and the web playground implement it; the core never sees a platform type.
 */

export type Platform = 'discord' | 'slack' | 'web';

/** A member of the chat server. */
export interface ChatMember {
  /** The platform's user id (Discord snowflake, Slack `U...`). */
  id: string;
  /** A display name, for lists. */
  name: string;
  /** May use admin commands (Discord: Manage Server or the configured role; Slack: a configured admin id). */
  isAdmin: boolean;
}

/** Where a command was given. */
export interface ChatPlace {
  platform: Platform;
  /** The Discord guild or Slack team. */
  serverId: string;
  channelId: string;
}

/** A file a member attached to a command. */
export interface ChatAttachment {
  name: string;
  /** MIME type as the platform reports it; null when it reports none. */
  contentType: string | null;
  /** Bytes, as the platform reports them (checked again after download). */
  size: number;
  /** Downloads the file (the adapter knows how: a CDN URL, or Slack's url_private with the bot token). */
  download(signal: AbortSignal): Promise<Uint8Array>;
}

/** An image to post with a message. */
export interface ChatImage {
  name: string;
  bytes: Uint8Array;
}

/** A button under a message; `id` comes back to {@link BotCore.press} when it is pressed. */
export interface ChatButton {
  id: string;
  label: string;
  style: 'primary' | 'secondary' | 'danger';
}

/** A message as the core writes it: plain text with `**bold**`, images, buttons. */
export interface ChatMessage {
  text: string;
  images?: readonly ChatImage[];
  buttons?: readonly ChatButton[];
}

/**
 * How the core answers one command or button press. The adapter decides how each maps onto its
 * platform (Discord: deferred reply, editReply, follow-ups, a channel message once the
 * interaction token has expired; Slack: a message updated with chat.update, ephemeral messages).
 */
export interface ChatReply {
  /** Shows `message` as the command's reply, replacing what it showed before. */
  show(message: ChatMessage): Promise<void>;
  /** Posts a new message in the channel, mentioning `mention` (a member id) when given. */
  post(message: ChatMessage & { mention?: string }): Promise<void>;
  /** A message only the member who asked sees (tokens, parameters, refusals of admin commands). */
  whisper(text: string): Promise<void>;
  /** Deletes the message the pressed button is on (a member deleting their own result). */
  remove(): Promise<void>;
}

/** One command or button press, as the adapter hands it to the core. */
export interface ChatRequest {
  place: ChatPlace;
  member: ChatMember;
  reply: ChatReply;
  /** Unique per interaction on the platform: the idempotency key of the job it submits. */
  interactionId: string;
  signal: AbortSignal;
}

/** `{ [key]: value }` when a platform gave the option, `{}` when it did not (null or undefined), for spreading into command options. */
export function givenOption<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** How a member is named in mentions and as a job's requester: `discord:<server>:<user>`. */
export function requesterOf(request: Pick<ChatRequest, 'place' | 'member'>): string {
  return `${request.place.platform}:${request.place.serverId}:${request.member.id}`;
}

/** The member id in a requester string made by {@link requesterOf}, or null for another requester (the CLI, the cluster). */
export function memberIdOf(requester: string, place: ChatPlace): string | null {
  const prefix = `${place.platform}:${place.serverId}:`;
  return requester.startsWith(prefix) ? requester.slice(prefix.length) : null;
}

/** The image type a file name's extension says (PNG, JPEG or WebP), or null for any other name. */
export function typeFromName(name: string): string | null {
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  return ext === 'png' ? 'image/png' : ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : ext === 'webp' ? 'image/webp' : null;
}
