import type { APIEmbed, APIMessageTopLevelComponent } from 'discord.js';
import type { FakeClock } from './fake-clock.ts';
import { DiscordApiError } from './http-router.ts';
import type { RecordedFile } from './request-body.ts';
import { MessageFlag, type FakeAttachment, type FakeMessage, type FakeUser } from './wire-objects.ts';

/** A message body as the bot sends it (JSON or `payload_json`). */
export type MessageBody = Record<string, unknown>;

/** A request's JSON object body, or Discord's 400 for anything else. */
export function messageBody(json: unknown): MessageBody {
  if (json === undefined) return {};
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DiscordApiError(400, 50035, 'Invalid Form Body: expected a JSON object');
  }
  return json as MessageBody;
}

/** An edit of a message (PATCH through an interaction webhook or the channel). */
export interface MessageEdit {
  messageId: string;
  /** The JSON body (or `payload_json`) of the PATCH. */
  body: MessageBody;
  /** Files uploaded with this edit. */
  files: RecordedFile[];
  /** A copy of the message right after this edit. */
  message: FakeMessage;
}

/** One line for an edit, for failure messages: the message id and the body sent. */
export function describeEdit(edit: MessageEdit): string {
  return `${edit.messageId} ${JSON.stringify(edit.body)}`;
}

/** One line for a message, for failure messages: its id, its content and its files. */
export function describeMessage(message: FakeMessage): string {
  const files = message.attachments.length > 0 ? ` files=${message.attachments.map((a) => a.filename).join(',')}` : '';
  return `${message.id} ${JSON.stringify(message.content)}${files}`;
}

/** What a new message needs besides its body. */
export interface NewMessage {
  channelId: string;
  author: FakeUser;
  body: MessageBody;
  files: RecordedFile[];
  webhookId?: string;
  interaction?: FakeMessage['interaction'];
  /** Flags the fake sets itself (loading, ephemeral from a deferral), added to the body's. */
  flags?: number;
  /** A deferred response starts empty; other messages must say something. */
  allowEmpty?: boolean;
}

/** Message flags a bot may set when it sends a message: suppress embeds, ephemeral, components v2. */
const SETTABLE_FLAGS = (1 << 2) | MessageFlag.Ephemeral | (1 << 15);
const MAX_CONTENT_LENGTH = 2000;

/**
 * Every message the fake holds, and the attachments it serves. It applies Discord's rules
 * for message bodies: an empty message is refused, content is at most 2000 characters,
 * and on an edit the `attachments` array, when present, lists exactly the attachments
 * to keep (existing ones by id, new uploads by their `files[n]` index).
 */
export class MessageStore {
  private readonly messages = new Map<string, FakeMessage>();
  private readonly attachments = new Map<string, FakeAttachment>();

  constructor(
    private readonly clock: FakeClock,
    private readonly attachmentUrl: (id: string, filename: string) => string,
  ) {}

  get(id: string): FakeMessage | undefined {
    return this.messages.get(id);
  }

  /** The message, or Discord's 404 for an unknown or deleted one. */
  require(id: string, channelId?: string): FakeMessage {
    const message = this.messages.get(id);
    if (message === undefined || message.deleted || (channelId !== undefined && message.channelId !== channelId)) {
      throw new DiscordApiError(404, 10008, 'Unknown Message');
    }
    return message;
  }

  all(): FakeMessage[] {
    return [...this.messages.values()];
  }

  attachment(id: string): FakeAttachment | undefined {
    return this.attachments.get(id);
  }

  /** Stores bytes the fake serves (a member's upload) and returns the attachment. */
  addAttachment(init: Omit<FakeAttachment, 'id' | 'url'>): FakeAttachment {
    const id = this.clock.snowflake();
    const attachment: FakeAttachment = { ...init, id, url: this.attachmentUrl(id, init.filename) };
    this.attachments.set(id, attachment);
    return attachment;
  }

  create(init: NewMessage): FakeMessage {
    checkContent(init.body);
    const message: FakeMessage = {
      id: this.clock.snowflake(),
      channelId: init.channelId,
      author: init.author,
      content: '',
      embeds: [],
      components: [],
      attachments: [],
      flags: (Number(init.body.flags ?? 0) & SETTABLE_FLAGS) | (init.flags ?? 0),
      createdAtMs: this.clock.now(),
      editedAtMs: null,
      deleted: false,
      ...(init.webhookId !== undefined ? { webhookId: init.webhookId } : {}),
      ...(init.interaction !== undefined ? { interaction: init.interaction } : {}),
    };
    this.applyBody(message, init.body, init.files);
    if (!init.allowEmpty && isEmpty(message)) {
      throw new DiscordApiError(400, 50006, 'Cannot send an empty message');
    }
    this.messages.set(message.id, message);
    return message;
  }

  /**
   * Applies an edit and returns its record. Filling in a deferred ("loading") response is
   * not an edit in Discord's eyes, so it leaves `edited_timestamp` unset.
   */
  edit(message: FakeMessage, body: MessageBody, files: RecordedFile[]): MessageEdit {
    checkContent(body);
    const wasLoading = (message.flags & MessageFlag.Loading) !== 0;
    this.applyBody(message, body, files);
    if (isEmpty(message)) throw new DiscordApiError(400, 50006, 'Cannot send an empty message');
    message.flags &= ~MessageFlag.Loading;
    if (!wasLoading) message.editedAtMs = this.clock.now();
    return { messageId: message.id, body, files, message: snapshot(message) };
  }

  delete(message: FakeMessage): void {
    message.deleted = true;
  }

  private applyBody(message: FakeMessage, body: MessageBody, files: RecordedFile[]): void {
    if ('content' in body) message.content = typeof body.content === 'string' ? body.content : '';
    if ('embeds' in body) message.embeds = arrayOf<APIEmbed>(body.embeds);
    if ('components' in body) message.components = arrayOf<APIMessageTopLevelComponent>(body.components);
    const listed = Array.isArray(body.attachments) ? (body.attachments as Record<string, unknown>[]) : undefined;
    const uploaded = files.map((file) => this.upload(file, listed));
    if (listed === undefined) {
      message.attachments = [...message.attachments, ...uploaded];
      return;
    }
    message.attachments = listed.map((entry) => {
      const id = String(entry.id);
      const kept = message.attachments.find((a) => a.id === id);
      const fresh = uploaded.find((_, i) => fileIndex(files[i]!) === id);
      const attachment = kept ?? fresh;
      if (attachment === undefined) {
        throw new DiscordApiError(400, 50035, `Invalid Form Body: attachments: unknown attachment ${id}`);
      }
      return attachment;
    });
  }

  private upload(file: RecordedFile, listed: Record<string, unknown>[] | undefined): FakeAttachment {
    const meta = listed?.find((entry) => String(entry.id) === fileIndex(file));
    return this.addAttachment({
      filename: typeof meta?.filename === 'string' ? meta.filename : file.name,
      contentType: file.contentType,
      bytes: file.bytes,
      ...(typeof meta?.description === 'string' ? { description: meta.description } : {}),
    });
  }
}

function snapshot(message: FakeMessage): FakeMessage {
  return {
    ...message,
    embeds: [...message.embeds],
    components: [...message.components],
    attachments: [...message.attachments],
  };
}

/** The index in a `files[n]` field name; other field names stand for themselves. */
function fileIndex(file: RecordedFile): string {
  return /^files\[(\d+)\]$/.exec(file.field)?.[1] ?? file.field;
}

function checkContent(body: MessageBody): void {
  if (typeof body.content === 'string' && body.content.length > MAX_CONTENT_LENGTH) {
    throw new DiscordApiError(
      400,
      50035,
      `Invalid Form Body: content: Must be ${MAX_CONTENT_LENGTH} or fewer in length.`,
    );
  }
}

function isEmpty(message: FakeMessage): boolean {
  return (
    message.content === '' &&
    message.embeds.length === 0 &&
    message.components.length === 0 &&
    message.attachments.length === 0
  );
}

function arrayOf<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}
