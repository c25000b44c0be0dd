import type { CommandStore } from './command-store.ts';
import type { FakeClock } from './fake-clock.ts';
import type { InteractionHandle } from './interaction-handle.ts';
import type { MessageEdit, MessageStore } from './message-store.ts';
import type { RecordList } from '../record-list.ts';
import type { FakeChannel, FakeGuild, FakeMessage, FakeUser } from './wire-objects.ts';
import { DiscordApiError } from './http-router.ts';

/** The registered application; its id is also the bot user's id, as for new Discord apps. */
export interface FakeApplication {
  id: string;
  name: string;
  flags: number;
}

/** The state the REST routes and the gateway share. */
export interface FakeState {
  readonly clock: FakeClock;
  readonly application: FakeApplication;
  readonly bot: FakeUser;
  /** Every user the fake knows (the bot, the member, added users), by id. */
  readonly users: Map<string, FakeUser>;
  readonly guild: FakeGuild;
  readonly messages: MessageStore;
  readonly commands: CommandStore;
  /** Interactions dispatched so far, by id. */
  readonly interactions: Map<string, InteractionHandle>;
  /** Messages the bot posted with POST /channels/:id/messages. */
  readonly channelMessages: RecordList<FakeMessage>;
  /** Edits the bot made with PATCH /channels/:id/messages/:id. */
  readonly channelEdits: RecordList<MessageEdit>;
  /** The gateway URL GET /gateway/bot hands out. */
  readonly gatewayUrl: string;
}

/** The guild's channel with `id`, or Discord's 404. */
export function requireChannel(state: FakeState, id: string): FakeChannel {
  const channel = state.guild.channels.find((c) => c.id === id);
  if (channel === undefined) throw new DiscordApiError(404, 10003, 'Unknown Channel');
  return channel;
}

/** Refuses a path naming another application (Discord answers 403 Missing Access). */
export function requireApplication(state: FakeState, id: string): void {
  if (id !== state.application.id) throw new DiscordApiError(403, 50001, 'Missing Access');
}
