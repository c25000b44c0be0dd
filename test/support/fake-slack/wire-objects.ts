import type { FakeChannel, FakeFile, FakeMessage, FakeUser, FakeView, Workspace } from './workspace.ts';

/**
 * The JSON shapes Slack uses for users, conversations, files, messages and views, built from
 * the fake's state. `baseUrl` is the fake's origin with a trailing slash.
 */

/** A user object as users.info returns it. */
export function userObject(ws: Workspace, user: FakeUser): Record<string, unknown> {
  return {
    id: user.id,
    team_id: ws.teamId,
    name: user.name,
    real_name: user.realName,
    deleted: false,
    is_admin: user.isAdmin,
    is_owner: user.isOwner,
    is_primary_owner: false,
    is_bot: user.isBot,
    is_app_user: false,
    profile: { real_name: user.realName, display_name: user.name, team: ws.teamId },
  };
}

/** A conversation object as conversations.info returns it. */
export function channelObject(ws: Workspace, channel: FakeChannel): Record<string, unknown> {
  return {
    id: channel.id,
    name: channel.name,
    is_channel: !channel.isPrivate && !channel.isIm,
    is_group: false,
    is_im: channel.isIm,
    is_private: channel.isPrivate,
    is_archived: false,
    is_member: channel.members.includes(ws.bot.userId),
    context_team_id: ws.teamId,
    num_members: channel.members.length,
  };
}

/** The `url_private` of a file: served by the fake to holders of the bot token only. */
export function filePrivateUrl(baseUrl: string, ws: Workspace, file: FakeFile, download = false): string {
  const name = encodeURIComponent(file.name);
  return `${baseUrl}files-pri/${ws.teamId}-${file.id}/${download ? 'download/' : ''}${name}`;
}

/** A file object as files.info returns it and a `file_input` submission carries it. */
export interface SlackFileObject {
  id: string;
  created: number;
  timestamp: number;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  user: string;
  user_team: string;
  size: number;
  permalink: string;
  url_private: string;
  url_private_download: string;
  [field: string]: unknown;
}

/** The full file object of a file the fake holds. */
export function fileObject(baseUrl: string, ws: Workspace, file: FakeFile): SlackFileObject {
  const shares: Record<string, { ts: string; thread_ts?: string; channel_name: string; team_id: string }[]> =
    {};
  for (const share of file.shares) {
    const entry = {
      ts: share.ts,
      ...(share.threadTs !== undefined ? { thread_ts: share.threadTs } : {}),
      channel_name: ws.channels.get(share.channel)?.name ?? share.channel,
      team_id: ws.teamId,
    };
    (shares[share.channel] ??= []).push(entry);
  }
  return {
    id: file.id,
    created: file.created,
    timestamp: file.created,
    name: file.name,
    title: file.title,
    mimetype: file.mimetype,
    filetype: file.filetype,
    pretty_type: file.filetype.toUpperCase(),
    user: file.user,
    user_team: ws.teamId,
    editable: false,
    size: file.size,
    mode: 'hosted',
    is_external: false,
    external_type: '',
    is_public: file.shares.length > 0,
    url_private: filePrivateUrl(baseUrl, ws, file),
    url_private_download: filePrivateUrl(baseUrl, ws, file, true),
    permalink: `https://${ws.teamDomain}.slack.com/files/${file.user}/${file.id}/${file.name}`,
    channels: [...new Set(file.shares.map((s) => s.channel))],
    shares: { public: shares },
  };
}

/** A message object as chat.postMessage and chat.update return it. */
export function messageObject(ws: Workspace, message: FakeMessage): Record<string, unknown> {
  return {
    type: 'message',
    user: message.user,
    bot_id: message.botId,
    app_id: ws.bot.appId,
    text: message.text,
    ts: message.ts,
    team: ws.teamId,
    ...(message.blocks !== undefined ? { blocks: message.blocks } : {}),
    ...(message.threadTs !== undefined ? { thread_ts: message.threadTs } : {}),
    ...(message.fileIds.length > 0 ? { files: message.fileIds.map((id) => ({ id })) } : {}),
    ...(message.edited ? { edited: { user: message.user, ts: message.ts } } : {}),
  };
}

/**
 * A view object as views.open returns it and view_submission payloads carry it. `values` is
 * the state of its inputs: empty when opened, what the user entered when submitted.
 */
export function viewObject(
  ws: Workspace,
  view: FakeView,
  values: Record<string, Record<string, unknown>> = {},
): Record<string, unknown> {
  const d = view.definition;
  return {
    id: view.id,
    team_id: ws.teamId,
    type: d.type ?? 'modal',
    title: d.title,
    blocks: d.blocks ?? [],
    close: d.close ?? null,
    submit: d.submit ?? null,
    callback_id: d.callback_id ?? '',
    private_metadata: d.private_metadata ?? '',
    external_id: d.external_id ?? '',
    clear_on_close: d.clear_on_close ?? false,
    notify_on_close: d.notify_on_close ?? false,
    state: { values },
    hash: view.hash,
    root_view_id: view.rootViewId,
    previous_view_id: view.previousViewId,
    app_id: ws.bot.appId,
    app_installed_team_id: ws.teamId,
    bot_id: ws.bot.botId,
  };
}
