import { extname } from 'node:path';
import { channelObject, fileObject, messageObject, userObject, viewObject } from './wire-objects.ts';
import type { FakeFile, FakeView, Workspace } from './workspace.ts';

/** What a Web API method handler sees besides its arguments. */
export interface MethodContext {
  ws: Workspace;
  /** The fake's origin with a trailing slash, for URLs it hands out. */
  baseUrl: string;
}

/** Answers one Web API method: a result with `ok: true`, or `{ ok: false, error }`. */
export type MethodHandler = (args: Record<string, unknown>, ctx: MethodContext) => Record<string, unknown>;

/** Thrown inside a handler to answer `{ ok: false, error }`. */
class SlackError extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** Runs a handler, turning a {@link SlackError} into Slack's error answer. */
export function callMethod(
  handler: MethodHandler,
  args: Record<string, unknown>,
  ctx: MethodContext,
): Record<string, unknown> {
  try {
    return handler(args, ctx);
  } catch (error) {
    if (error instanceof SlackError) return { ok: false, error: error.code };
    throw error;
  }
}

function optionalString(args: Record<string, unknown>, key: string): string | undefined {
  const value = args[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new SlackError('invalid_arguments');
}

function requiredString(args: Record<string, unknown>, key: string, missing = 'invalid_arguments'): string {
  const value = optionalString(args, key);
  if (value === undefined) throw new SlackError(missing);
  return value;
}

function optionalArray(args: Record<string, unknown>, key: string): unknown[] | undefined {
  const value = args[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new SlackError(`invalid_${key}`);
  return value;
}

function conversation(ctx: MethodContext, args: Record<string, unknown>, key = 'channel') {
  const channel = ctx.ws.resolveChannel(requiredString(args, key, 'channel_not_found'));
  if (channel === undefined) throw new SlackError('channel_not_found');
  return channel;
}

function botMessage(ctx: MethodContext, args: Record<string, unknown>) {
  const channel = conversation(ctx, args);
  const ts = requiredString(args, 'ts', 'message_not_found');
  const message = ctx.ws.message(channel.id, ts);
  if (message === undefined) throw new SlackError('message_not_found');
  return message;
}

/** The text and blocks of a message; Slack refuses a message with neither. */
function messageContent(args: Record<string, unknown>): { text: string; blocks: unknown[] | undefined } {
  const text = optionalString(args, 'text');
  const blocks = optionalArray(args, 'blocks');
  const attachments = optionalArray(args, 'attachments');
  if (text === undefined && blocks === undefined && attachments === undefined) throw new SlackError('no_text');
  return { text: text ?? '', blocks };
}

function viewDefinition(args: Record<string, unknown>): Record<string, unknown> {
  const view = args.view;
  if (typeof view !== 'object' || view === null || Array.isArray(view)) throw new SlackError('invalid_arguments');
  const definition = view as Record<string, unknown>;
  if (typeof definition.type !== 'string') throw new SlackError('invalid_arguments');
  return definition;
}

const MIME_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  txt: 'text/plain',
  json: 'application/json',
  safetensors: 'application/octet-stream',
};

/** The filetype and mimetype Slack derives from a file name's extension. */
export function fileTypeOf(name: string): { filetype: string; mimetype: string } {
  const ext = extname(name).slice(1).toLowerCase();
  return { filetype: ext === '' ? 'binary' : ext, mimetype: MIME_TYPES[ext] ?? 'application/octet-stream' };
}

const chatPostMessage: MethodHandler = (args, ctx) => {
  const channel = conversation(ctx, args);
  const message = ctx.ws.appendMessage({
    channel: channel.id,
    ...messageContent(args),
    threadTs: optionalString(args, 'thread_ts'),
    fileIds: [],
  });
  return { ok: true, channel: channel.id, ts: message.ts, message: messageObject(ctx.ws, message) };
};

const chatUpdate: MethodHandler = (args, ctx) => {
  const message = botMessage(ctx, args);
  if (message.user !== ctx.ws.bot.userId) throw new SlackError('cant_update_message');
  const { text, blocks } = messageContent(args);
  message.text = text;
  if (blocks !== undefined) message.blocks = blocks;
  message.edited = true;
  return {
    ok: true,
    channel: message.channel,
    ts: message.ts,
    text: message.text,
    message: messageObject(ctx.ws, message),
  };
};

const chatDelete: MethodHandler = (args, ctx) => {
  const message = botMessage(ctx, args);
  if (message.user !== ctx.ws.bot.userId) throw new SlackError('cant_delete_message');
  ctx.ws.deleteMessage(message.channel, message.ts);
  return { ok: true, channel: message.channel, ts: message.ts };
};

const chatPostEphemeral: MethodHandler = (args, ctx) => {
  const channel = conversation(ctx, args);
  const user = requiredString(args, 'user', 'user_not_found');
  if (!ctx.ws.users.has(user)) throw new SlackError('user_not_found');
  if (!channel.members.includes(user)) throw new SlackError('user_not_in_channel');
  const messageTs = ctx.ws.nextTs();
  // Checked like any message, but never part of the history: the call log is its record.
  messageContent(args);
  return { ok: true, message_ts: messageTs };
};

const viewsOpen: MethodHandler = (args, ctx) => {
  const triggerId = requiredString(args, 'trigger_id', 'invalid_trigger_id');
  const trigger = ctx.ws.triggers.get(triggerId);
  if (trigger === undefined) throw new SlackError('invalid_trigger_id');
  if (trigger.used) throw new SlackError('expired_trigger_id');
  const definition = viewDefinition(args);
  trigger.used = true;
  const view = ctx.ws.openView(trigger.userId, definition);
  return { ok: true, view: viewObject(ctx.ws, view) };
};

const viewsUpdate: MethodHandler = (args, ctx) => {
  const viewId = optionalString(args, 'view_id');
  const externalId = optionalString(args, 'external_id');
  const byExternalId = (v: FakeView): boolean => externalId !== undefined && v.definition.external_id === externalId;
  const view = viewId !== undefined ? ctx.ws.views.get(viewId) : [...ctx.ws.views.values()].find(byExternalId);
  if (view === undefined) throw new SlackError('not_found');
  const hash = optionalString(args, 'hash');
  if (hash !== undefined && hash !== view.hash) throw new SlackError('hash_conflict');
  view.definition = viewDefinition(args);
  view.hash = ctx.ws.nextViewHash();
  return { ok: true, view: viewObject(ctx.ws, view) };
};

const filesGetUploadUrlExternal: MethodHandler = (args, ctx) => {
  const filename = requiredString(args, 'filename');
  const length = Number(requiredString(args, 'length', 'invalid_length'));
  if (!Number.isInteger(length) || length <= 0) throw new SlackError('invalid_length');
  const fileId = ctx.ws.nextId('F');
  optionalString(args, 'alt_text');
  ctx.ws.pendingUploads.set(fileId, { fileId, filename, bytes: undefined });
  return { ok: true, upload_url: `${ctx.baseUrl}upload/v1/${fileId}`, file_id: fileId };
};

const filesCompleteUploadExternal: MethodHandler = (args, ctx) => {
  const entries = optionalArray(args, 'files');
  if (entries === undefined || entries.length === 0) throw new SlackError('invalid_arguments');
  const requested = entries.map((entry) => {
    const { id, title } = (entry ?? {}) as { id?: unknown; title?: unknown };
    const pending = typeof id === 'string' ? ctx.ws.pendingUploads.get(id) : undefined;
    if (pending?.bytes === undefined) throw new SlackError('file_not_found');
    return { pending, bytes: pending.bytes, title: typeof title === 'string' ? title : pending.filename };
  });
  const channelId = optionalString(args, 'channel_id');
  const channel = channelId === undefined ? undefined : ctx.ws.resolveChannel(channelId);
  if (channelId !== undefined && channel === undefined) throw new SlackError('channel_not_found');
  const threadTs = optionalString(args, 'thread_ts');
  const share =
    channel === undefined
      ? undefined
      : ctx.ws.appendMessage({
          channel: channel.id,
          text: optionalString(args, 'initial_comment') ?? '',
          blocks: optionalArray(args, 'blocks'),
          threadTs,
          fileIds: requested.map((r) => r.pending.fileId),
        });
  const created = ctx.ws.nowSeconds();
  const files: FakeFile[] = requested.map(({ pending, bytes, title }) => ({
    id: pending.fileId,
    name: pending.filename,
    title,
    ...fileTypeOf(pending.filename),
    size: bytes.length,
    bytes,
    user: ctx.ws.bot.userId,
    created,
    shares: share === undefined ? [] : [{ channel: share.channel, ts: share.ts, threadTs }],
  }));
  for (const f of files) {
    ctx.ws.pendingUploads.delete(f.id);
    ctx.ws.files.set(f.id, f);
  }
  return { ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) };
};

const filesInfo: MethodHandler = (args, ctx) => {
  const file = ctx.ws.files.get(requiredString(args, 'file', 'file_not_found'));
  if (file === undefined) throw new SlackError('file_not_found');
  return { ok: true, file: fileObject(ctx.baseUrl, ctx.ws, file) };
};

const usersInfo: MethodHandler = (args, ctx) => {
  const user = ctx.ws.users.get(requiredString(args, 'user', 'user_not_found'));
  if (user === undefined) throw new SlackError('user_not_found');
  return { ok: true, user: userObject(ctx.ws, user) };
};

const conversationsInfo: MethodHandler = (args, ctx) => {
  const channel = ctx.ws.channels.get(requiredString(args, 'channel', 'channel_not_found'));
  if (channel === undefined) throw new SlackError('channel_not_found');
  return { ok: true, channel: channelObject(ctx.ws, channel) };
};

const authTest: MethodHandler = (_args, ctx) => ({
  ok: true,
  url: `https://${ctx.ws.teamDomain}.slack.com/`,
  team: ctx.ws.teamDomain,
  user: ctx.ws.bot.name,
  team_id: ctx.ws.teamId,
  user_id: ctx.ws.bot.userId,
  bot_id: ctx.ws.bot.botId,
  is_enterprise_install: false,
});

/** The Web API methods the fake implements. */
export const WEB_API_METHODS: ReadonlyMap<string, MethodHandler> = new Map([
  ['auth.test', authTest],
  ['chat.postMessage', chatPostMessage],
  ['chat.update', chatUpdate],
  ['chat.postEphemeral', chatPostEphemeral],
  ['chat.delete', chatDelete],
  ['views.open', viewsOpen],
  ['views.update', viewsUpdate],
  ['files.getUploadURLExternal', filesGetUploadUrlExternal],
  ['files.completeUploadExternal', filesCompleteUploadExternal],
  ['files.info', filesInfo],
  ['users.info', usersInfo],
  ['conversations.info', conversationsInfo],
]);
