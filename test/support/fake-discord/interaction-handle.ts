import { describeEdit, describeMessage, type MessageEdit } from './message-store.ts';
import { RecordList, type WaitOptions } from '../record-list.ts';
import type { RecordedFile } from './request-body.ts';
import type { FakeMessage, FakeUser } from './wire-objects.ts';

/** Interaction callback types (Discord's numbers). */
export const CallbackType = {
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  Modal: 9,
} as const;

/** Interaction types (Discord's numbers). */
export const InteractionKind = {
  ApplicationCommand: 2,
  MessageComponent: 3,
  ModalSubmit: 5,
} as const;

export type { MessageEdit };

/** How long an interaction may wait for its callback, and how long its token lives. */
export const CALLBACK_DEADLINE_MS = 3_000;
export const TOKEN_LIFETIME_MS = 15 * 60_000;

/** The bot's answer to POST /interactions/:id/:token/callback. */
export interface InteractionCallback {
  type: number;
  /** The callback's `data` (message body or modal), if any. */
  data: Record<string, unknown> | undefined;
  files: RecordedFile[];
  /** The message the callback created or updated (types 4, 5, 6, 7), as it is now. */
  message: FakeMessage | undefined;
}

/** What the fake knows about an interaction when it dispatches it. */
export interface InteractionInit {
  id: string;
  token: string;
  type: number;
  user: FakeUser;
  channelId: string;
  createdAtMs: number;
  commandName?: string;
  /** For components (and modals opened from one): the message the user acted on. */
  sourceMessageId?: string;
}

/**
 * One interaction the fake dispatched, and everything the bot did with it. Returned by
 * `sendCommand`, `clickButton` and `submitModal`; its lists and waits are what tests assert.
 */
export class InteractionHandle {
  readonly id: string;
  readonly token: string;
  readonly type: number;
  readonly user: FakeUser;
  readonly channelId: string;
  readonly createdAtMs: number;
  readonly commandName: string | undefined;
  readonly sourceMessageId: string | undefined;
  /** The accepted callback (at most one: Discord refuses a second). */
  readonly callbacks = new RecordList<InteractionCallback>('interaction callback', (c) =>
    `type ${c.type} ${JSON.stringify(c.data ?? null)}`,
  );
  /** Edits through this interaction's webhook, in order. */
  readonly edits = new RecordList<MessageEdit>('edit', describeEdit);
  /** Follow-up messages, as they are now. */
  readonly followUps = new RecordList<FakeMessage>('follow-up', describeMessage);
  /** The message `@original` names, once a callback made or chose one. */
  originalMessageId: string | undefined;

  constructor(init: InteractionInit) {
    this.id = init.id;
    this.token = init.token;
    this.type = init.type;
    this.user = init.user;
    this.channelId = init.channelId;
    this.createdAtMs = init.createdAtMs;
    this.commandName = init.commandName;
    this.sourceMessageId = init.sourceMessageId;
  }

  /** The accepted callback, if the bot answered yet. */
  get callback(): InteractionCallback | undefined {
    return this.callbacks.at(0);
  }

  /** Waits for the bot's callback (reply, defer, update or modal). */
  reply(options?: WaitOptions): Promise<InteractionCallback> {
    return this.callbacks.waitFor(undefined, options);
  }

  /** Waits for an edit through the webhook that satisfies `predicate`. */
  waitForEdit(predicate?: (edit: MessageEdit) => boolean, options?: WaitOptions): Promise<MessageEdit> {
    return this.edits.waitFor(predicate, options);
  }

  /** Waits for a follow-up message that satisfies `predicate`. */
  waitForFollowUp(predicate?: (message: FakeMessage) => boolean, options?: WaitOptions): Promise<FakeMessage> {
    return this.followUps.waitFor(predicate, options);
  }

  /** Whether the token has expired at fake time `nowMs`. */
  expiredAt(nowMs: number): boolean {
    return nowMs - this.createdAtMs >= TOKEN_LIFETIME_MS;
  }
}
