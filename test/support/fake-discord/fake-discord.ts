import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CommandStore, type StoredCommand } from './command-store.ts';
import { FakeClock } from './fake-clock.ts';
import type { FakeApplication, FakeState } from './fake-state.ts';
import { GatewayServer } from './gateway-server.ts';
import { HttpRouter, type RecordedRequest } from './http-router.ts';
import { InteractionHandle, InteractionKind } from './interaction-handle.ts';
import {
  commandData,
  findComponent,
  interactionBase,
  modalData,
  sourceMessageObject,
  type Actor,
  type CommandInput,
} from './interaction-payloads.ts';
import { interactionRoutes } from './interaction-routes.ts';
import { describeEdit, describeMessage, MessageStore, type MessageEdit } from './message-store.ts';
import { RecordList } from '../record-list.ts';
import { restRoutes } from './rest-routes.ts';
import {
  DEFAULT_EVERYONE_PERMISSIONS,
  Permission,
  guildCreateObject,
  userObject,
  type FakeChannel,
  type FakeGuild,
  type FakeMessage,
  type FakeRole,
  type FakeUser,
} from './wire-objects.ts';

export interface FakeDiscordOptions {
  /** The bot token the fake accepts; default `fake-bot-token`. */
  token?: string;
  /** The heartbeat interval Hello announces; default 41250 ms (Discord's). */
  heartbeatIntervalMs?: number;
  /** Where the fake clock starts, ms since the Unix epoch; default the real time at start. */
  startTimeMs?: number;
  /** Roles besides @everyone; default one `Moderator` role with Manage Guild. */
  roles?: { name: string; permissions: bigint }[];
  /** What @everyone may do; default view, send, embed, attach, react, read history, use commands. */
  everyonePermissions?: bigint;
  /** Where the fake reports requests it has no route for; default `console.warn`. */
  log?: (message: string) => void;
}

/** A button click (MESSAGE_COMPONENT) on a message the bot sent. */
export interface ButtonClick extends Actor {
  messageId: string;
  customId: string;
}

/** A modal submission: text inputs by custom id; `messageId` if a component opened the modal. */
export interface ModalSubmission extends Actor {
  customId: string;
  fields: Record<string, string>;
  messageId?: string;
}

/**
 * A wire-level fake of Discord for tests: the real discord.js client talks to it over HTTP
 * (REST API v10) and a WebSocket (the gateway), and tests drive members' actions through
 * it and assert what the bot sent. One application with its bot user, one guild with a
 * text channel and roles, one member who sends commands (more with {@link addUser}).
 *
 * Connect with `new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } })`
 * and `client.login(fake.token)`.
 */
export class FakeDiscord {
  readonly token: string;
  readonly clock: FakeClock;
  readonly application: FakeApplication;
  readonly bot: FakeUser;
  readonly guild: FakeGuild;
  /** The guild's text channel, where interactions happen by default. */
  readonly channel: FakeChannel;
  /** The member who acts unless an action names another user. */
  readonly member: FakeUser;
  readonly gateway: GatewayServer;
  /** Messages the bot posted with POST /channels/:id/messages, as they are now. */
  readonly channelMessages = new RecordList<FakeMessage>('channel message', describeMessage);
  /** Edits the bot made with PATCH /channels/:id/messages/:id, in order. */
  readonly channelEdits = new RecordList<MessageEdit>('channel message edit', describeEdit);
  private readonly router: HttpRouter;
  private readonly state: FakeState;
  private readonly port: number;

  /** Starts the fake on 127.0.0.1 on a port the OS picks. */
  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new FakeDiscord(server, options);
  }

  private constructor(
    private readonly server: Server,
    options: FakeDiscordOptions,
  ) {
    this.port = (server.address() as AddressInfo).port;
    this.token = options.token ?? 'fake-bot-token';
    this.clock = new FakeClock(options.startTimeMs ?? Date.now());
    const id = (): string => this.clock.snowflake();
    const botId = id();
    this.application = { id: botId, name: 'Teambooth', flags: 0 };
    this.bot = { id: botId, username: 'teambooth', globalName: 'Teambooth', bot: true };
    this.member = { id: id(), username: 'member', globalName: 'Member', bot: false };
    const guildId = id();
    this.channel = { id: id(), name: 'general', guildId };
    const extraRoles = options.roles ?? [{ name: 'Moderator', permissions: Permission.ManageGuild }];
    const roles: FakeRole[] = [
      { id: guildId, name: '@everyone', permissions: options.everyonePermissions ?? DEFAULT_EVERYONE_PERMISSIONS, position: 0 },
      ...extraRoles.map((r, i) => ({ id: id(), name: r.name, permissions: r.permissions, position: i + 1 })),
    ];
    this.guild = { id: guildId, name: 'Teambooth Test Guild', ownerId: this.member.id, roles, channels: [this.channel] };
    const messages = new MessageStore(this.clock, (attachmentId, filename) =>
      `${this.baseUrl}/attachments/${attachmentId}/${encodeURIComponent(filename)}`,
    );
    this.state = {
      clock: this.clock,
      application: this.application,
      bot: this.bot,
      users: new Map([this.bot, this.member].map((u) => [u.id, u])),
      guild: this.guild,
      messages,
      commands: new CommandStore(this.clock, this.application.id),
      interactions: new Map(),
      channelMessages: this.channelMessages,
      channelEdits: this.channelEdits,
      gatewayUrl: this.gatewayUrl,
    };
    const log = options.log ?? ((message: string) => console.warn(message));
    this.router = new HttpRouter([...restRoutes(this.state), ...interactionRoutes(this.state)], this.token, log);
    this.gateway = new GatewayServer({
      token: this.token,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
      onIdentify: (sessionId) => this.onIdentify(sessionId),
    });
    server.on('request', (request, response) => void this.router.handle(request, response));
    server.on('upgrade', (request, socket, head: Buffer) => {
      if (!this.gateway.handleUpgrade(request, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    });
  }

  /** `http://127.0.0.1:PORT` */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The REST base for discord.js's `rest.api` option (it appends `/v10`). */
  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }

  /** The gateway URL that GET /gateway/bot hands out. */
  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  /** Every HTTP request, in order, with its parsed body and the fake's answer. */
  get requests(): RecordList<RecordedRequest> {
    return this.router.requests;
  }

  /** Requests no route matched (answered 404); a test can assert there were none. */
  unhandledRequests(): RecordedRequest[] {
    return this.requests.all().filter((r) => r.route === undefined);
  }

  /** The fake time, ms since the Unix epoch. */
  now(): number {
    return this.clock.now();
  }

  /** Moves the fake clock forward (interaction deadlines and token expiry follow it). */
  advance(ms: number): void {
    this.clock.advance(ms);
  }

  /** Adds a guild member who can act in tests. */
  addUser(username: string): FakeUser {
    const user = { id: this.clock.snowflake(), username, globalName: username, bot: false };
    this.state.users.set(user.id, user);
    return user;
  }

  /** The guild role named `name`. */
  role(name: string): FakeRole {
    const role = this.guild.roles.find((r) => r.name === name);
    if (role === undefined) throw new Error(`fake-discord: no role "${name}"`);
    return role;
  }

  /** A message by id, as it is now (deleted ones included, with `deleted` set). */
  message(id: string): FakeMessage | undefined {
    return this.state.messages.get(id);
  }

  /** The commands registered by bulk overwrite: global ones, or a guild's. */
  commands(guildId?: string): StoredCommand[] {
    return this.state.commands.list(guildId);
  }

  /** An interaction the fake dispatched, by id. */
  interaction(id: string): InteractionHandle | undefined {
    return this.state.interactions.get(id);
  }

  /** A member runs a slash command: dispatches INTERACTION_CREATE (APPLICATION_COMMAND). */
  sendCommand(input: CommandInput): InteractionHandle {
    return this.dispatchInteraction(InteractionKind.ApplicationCommand, input, commandData(this.state, input), {
      commandName: input.name,
    });
  }

  /** A member clicks a button on one of the bot's messages (MESSAGE_COMPONENT). */
  clickButton(input: ButtonClick): InteractionHandle {
    const message = sourceMessageObject(this.state, input.messageId);
    const button = findComponent(message.components, input.customId);
    if (button === undefined || button.type !== 2) {
      throw new Error(`fake-discord: message ${input.messageId} has no button "${input.customId}"`);
    }
    if (button.disabled === true) throw new Error(`fake-discord: button "${input.customId}" is disabled`);
    const data = { custom_id: input.customId, component_type: 2 };
    return this.dispatchInteraction(InteractionKind.MessageComponent, input, data, {
      message,
      sourceMessageId: input.messageId,
    });
  }

  /** A member submits a modal (MODAL_SUBMIT) with text inputs. */
  submitModal(input: ModalSubmission): InteractionHandle {
    const message = input.messageId === undefined ? undefined : sourceMessageObject(this.state, input.messageId);
    return this.dispatchInteraction(InteractionKind.ModalSubmit, input, modalData(input.customId, input.fields), {
      ...(message !== undefined ? { message, sourceMessageId: input.messageId } : {}),
    });
  }

  /** Closes the gateway, every HTTP connection and the listener. */
  async close(): Promise<void> {
    await this.gateway.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private dispatchInteraction(
    type: number,
    actor: Actor,
    data: Record<string, unknown>,
    extra: { commandName?: string; sourceMessageId?: string; message?: Record<string, unknown> },
  ): InteractionHandle {
    const id = this.clock.snowflake();
    const token = Buffer.from(`interaction:${id}:${this.application.id}`).toString('base64url');
    const user = actor.user ?? this.member;
    const base = interactionBase(this.state, { id, token }, type, { ...actor, user });
    const payload = { ...base, data, ...(extra.message !== undefined ? { message: extra.message } : {}) };
    this.gateway.dispatch('INTERACTION_CREATE', payload);
    const handle = new InteractionHandle({
      id,
      token,
      type,
      user,
      channelId: String(base.channel_id),
      createdAtMs: this.clock.now(),
      ...(extra.commandName !== undefined ? { commandName: extra.commandName } : {}),
      ...(extra.sourceMessageId !== undefined ? { sourceMessageId: extra.sourceMessageId } : {}),
    });
    this.state.interactions.set(id, handle);
    return handle;
  }

  private onIdentify(sessionId: string): { ready: Record<string, unknown>; then: { t: string; d: unknown }[] } {
    return {
      ready: {
        v: 10,
        user: { ...userObject(this.bot), verified: true, mfa_enabled: false, flags: 0 },
        guilds: [{ id: this.guild.id, unavailable: true }],
        session_id: sessionId,
        session_type: 'normal',
        resume_gateway_url: `${this.gatewayUrl}/resume`,
        shard: [0, 1],
        application: { id: this.application.id, flags: this.application.flags },
        private_channels: [],
        presences: [],
        relationships: [],
        guild_join_requests: [],
        geo_ordered_rtc_regions: [],
        user_settings: {},
        auth: {},
      },
      then: [{ t: 'GUILD_CREATE', d: guildCreateObject(this.guild, this.bot, this.clock.iso()) }],
    };
  }
}
