import type { FakeSlack } from './fake-slack.ts';
import { messageObject, type SlackFileObject } from './wire-objects.ts';
import type { FakeView } from './workspace.ts';

/** A slash command as a user types it. */
export interface SlashCommandInput {
  command: string;
  text?: string;
  userId: string;
  channelId: string;
}

/** A click on an interactive element (a button by default) of a message. */
export interface BlockActionInput {
  actionId: string;
  value?: string;
  userId: string;
  channelId: string;
  messageTs: string;
  /** Default: the block of the message that holds `actionId`, else `actions`. */
  blockId?: string;
  /** Element type; default `button`. */
  type?: string;
}

/** The state of a modal's inputs: block_id -> action_id -> value, as Slack sends it. */
export type ViewStateValues = Record<string, Record<string, Record<string, unknown>>>;

/** A user submitting a modal. */
export interface ViewSubmissionInput {
  /** Which opened view is submitted; default the latest one opened with `callbackId`. */
  viewId?: string;
  callbackId?: string;
  values: ViewStateValues;
  /** Default: the user the view was opened for. */
  userId?: string;
  /** Default: the private_metadata the app gave the view. */
  privateMetadata?: string;
}

/** The state of a `file_input` element holding `files` (from {@link FakeSlack.addUserFile}). */
export function fileInputValue(files: SlackFileObject[]): Record<string, unknown> {
  return { type: 'file_input', files };
}

/** The state of a `plain_text_input` element. */
export function plainTextValue(value: string): Record<string, unknown> {
  return { type: 'plain_text_input', value };
}

/** The deprecated verification token Slack still puts into every request. */
const VERIFICATION_TOKEN = 'fake-verification-token';

function userRef(fake: FakeSlack, userId: string): Record<string, unknown> {
  const user = fake.workspace.users.get(userId);
  if (user === undefined) throw new Error(`no user ${userId} in the fake workspace`);
  return { id: user.id, username: user.name, name: user.name, team_id: fake.workspace.teamId };
}

function channelName(fake: FakeSlack, channelId: string): string {
  const channel = fake.workspace.channels.get(channelId);
  if (channel === undefined) throw new Error(`no channel ${channelId} in the fake workspace`);
  return channel.isIm ? 'directmessage' : channel.name;
}

/** A fresh trigger_id and response_url for an interaction of `userId` in a channel. */
function interactionUrls(
  fake: FakeSlack,
  userId: string,
  channelId: string,
  messageTs: string | undefined,
): { response_url: string; trigger_id: string } {
  return {
    response_url: fake.issueResponseUrl({ userId, channelId, messageTs }),
    trigger_id: fake.issueTrigger(userId),
  };
}

/** The form fields of a slash command request, with a fresh trigger_id and response_url. */
export function slashCommandFields(fake: FakeSlack, input: SlashCommandInput): Record<string, string> {
  const ws = fake.workspace;
  const user = userRef(fake, input.userId);
  return {
    token: VERIFICATION_TOKEN,
    team_id: ws.teamId,
    team_domain: ws.teamDomain,
    channel_id: input.channelId,
    channel_name: channelName(fake, input.channelId),
    user_id: input.userId,
    user_name: String(user.name),
    command: input.command,
    text: input.text ?? '',
    api_app_id: ws.bot.appId,
    is_enterprise_install: 'false',
    ...interactionUrls(fake, input.userId, input.channelId, undefined),
  };
}

interface ActionElement {
  action_id?: string;
}

function blockIdOf(blocks: unknown[] | undefined, actionId: string): string | undefined {
  for (const block of blocks ?? []) {
    const b = block as { block_id?: string; elements?: ActionElement[]; accessory?: ActionElement };
    const holds = b.accessory?.action_id === actionId || b.elements?.some((e) => e.action_id === actionId);
    if (holds === true) return b.block_id;
  }
  return undefined;
}

/** The `payload` of a block_actions request on a message. */
export function blockActionsPayload(fake: FakeSlack, input: BlockActionInput): Record<string, unknown> {
  const ws = fake.workspace;
  const stored = fake.message(input.channelId, input.messageTs);
  const message = stored === undefined ? { type: 'message', ts: input.messageTs, text: '' } : messageObject(ws, stored);
  const actionTs = `${ws.nowSeconds()}.000000`;
  const urls = interactionUrls(fake, input.userId, input.channelId, input.messageTs);
  return {
    type: 'block_actions',
    user: userRef(fake, input.userId),
    api_app_id: ws.bot.appId,
    token: VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channelId,
      is_ephemeral: false,
    },
    trigger_id: urls.trigger_id,
    team: { id: ws.teamId, domain: ws.teamDomain },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channelId, name: channelName(fake, input.channelId) },
    message,
    state: { values: {} },
    response_url: urls.response_url,
    actions: [
      {
        type: input.type ?? 'button',
        action_id: input.actionId,
        block_id: input.blockId ?? blockIdOf(stored?.blocks, input.actionId) ?? 'actions',
        ...(input.value !== undefined ? { value: input.value } : {}),
        action_ts: actionTs,
      },
    ],
  };
}

/**
 * The view being submitted: the one named, else the latest opened with the callback_id, else
 * one registered now as if the app had opened it (for handlers tested without views.open).
 */
function submittedView(fake: FakeSlack, input: ViewSubmissionInput): FakeView {
  const ws = fake.workspace;
  if (input.viewId !== undefined) {
    const view = fake.view(input.viewId);
    if (view === undefined) throw new Error(`the app opened no view ${input.viewId}`);
    return view;
  }
  const opened = [...ws.views.values()].filter((v) => v.definition.callback_id === input.callbackId);
  const latest = opened.at(-1);
  if (latest !== undefined) return latest;
  if (input.userId === undefined) throw new Error('a view_submission of a view never opened needs a userId');
  return ws.openView(input.userId, {
    type: 'modal',
    callback_id: input.callbackId ?? '',
    title: { type: 'plain_text', text: 'Modal' },
  });
}

/** The `payload` of a view_submission request. */
export function viewSubmissionPayload(fake: FakeSlack, input: ViewSubmissionInput): Record<string, unknown> {
  const ws = fake.workspace;
  const view = submittedView(fake, input);
  const userId = input.userId ?? view.userId;
  const payloadView = fake.viewPayload(view, input.values);
  if (input.privateMetadata !== undefined) payloadView.private_metadata = input.privateMetadata;
  return {
    type: 'view_submission',
    team: { id: ws.teamId, domain: ws.teamDomain },
    user: userRef(fake, userId),
    api_app_id: ws.bot.appId,
    token: VERIFICATION_TOKEN,
    trigger_id: fake.issueTrigger(userId),
    view: payloadView,
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}
