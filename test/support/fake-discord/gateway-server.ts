import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { RecordList } from '../record-list.ts';

/** Gateway opcodes (Discord's numbers). */
export const Op = {
  Dispatch: 0,
  Heartbeat: 1,
  Identify: 2,
  PresenceUpdate: 3,
  VoiceStateUpdate: 4,
  Resume: 6,
  Reconnect: 7,
  RequestGuildMembers: 8,
  InvalidSession: 9,
  Hello: 10,
  HeartbeatAck: 11,
} as const;

/** Gateway close codes the fake uses (Discord's numbers). */
export const CloseCode = {
  UnknownOpcode: 4001,
  DecodeError: 4002,
  NotAuthenticated: 4003,
  AuthenticationFailed: 4004,
  AlreadyAuthenticated: 4005,
  InvalidShard: 4010,
  InvalidApiVersion: 4012,
  InvalidIntents: 4013,
} as const;

/** One payload on the gateway, in either direction. */
export interface GatewayFrame {
  /** `sent` by the fake, or `received` from the bot. */
  direction: 'sent' | 'received';
  /** Which connection (see {@link GatewayServer.connections}) carried it. */
  connection: number;
  op: number;
  t: string | null;
  s: number | null;
  d: unknown;
}

/** One WebSocket connection the bot opened. */
export interface GatewayConnection {
  id: number;
  /** `/gateway` for a fresh connection, `/gateway/resume` for the READY's resume URL. */
  path: string;
  query: Record<string, string>;
}

/** The end of a gateway connection. */
export interface GatewayDisconnection {
  connection: number;
  code: number;
}

/** What the fake sends when a bot identifies: READY's data, then further dispatches. */
export interface IdentifyResult {
  ready: Record<string, unknown>;
  then: { t: string; d: unknown }[];
}

/** The bot token Identify must carry, Hello's heartbeat interval, and the READY builder. */
export interface GatewayServerOptions {
  token: string;
  heartbeatIntervalMs: number;
  onIdentify: (sessionId: string) => IdentifyResult;
}

interface Session {
  id: string;
  /** Every dispatch of the session, kept for replay on resume; the n-th has sequence number n. */
  events: { s: number; t: string; d: unknown }[];
  socket: WebSocket | undefined;
  connection: number;
}

/**
 * The gateway side of the fake: Hello, Identify (token checked) with READY and
 * GUILD_CREATE, heartbeat acks, sequence numbers, and Resume with replay of the events
 * the bot missed. It serves one bot session at a time.
 */
export class GatewayServer {
  readonly frames = new RecordList<GatewayFrame>('gateway frame', describeFrame);
  readonly connections = new RecordList<GatewayConnection>('gateway connection', (c) =>
    `#${c.id} ${c.path} ${JSON.stringify(c.query)}`,
  );
  readonly disconnections = new RecordList<GatewayDisconnection>('gateway disconnection', (c) =>
    `#${c.connection} closed with ${c.code}`,
  );
  private readonly server = new WebSocketServer({ noServer: true });
  private session: Session | undefined;
  private sessionCount = 0;

  constructor(private readonly options: GatewayServerOptions) {}

  /** Takes over an HTTP upgrade for a gateway path; returns false for other paths. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? '/', 'http://fake');
    if (url.pathname !== '/gateway' && url.pathname !== '/gateway/resume') return false;
    this.server.handleUpgrade(request, socket, head, (ws) => this.accept(ws, url));
    return true;
  }

  /** Whether a bot session is identified and connected. */
  get connected(): boolean {
    return this.session?.socket?.readyState === WebSocket.OPEN;
  }

  /**
   * Sends a dispatch to the bot's session and returns its sequence number. While the bot
   * is disconnected the event waits in the session and is replayed when it resumes.
   */
  dispatch(t: string, d: unknown): number {
    const session = this.session;
    if (session === undefined) throw new Error('fake-discord: no bot session on the gateway (has the client logged in?)');
    const s = session.events.length + 1;
    session.events.push({ s, t, d });
    if (session.socket?.readyState === WebSocket.OPEN) {
      this.send(session.socket, session.connection, { op: Op.Dispatch, t, s, d });
    }
    return s;
  }

  /** Asks the bot to reconnect and resume (opcode 7), as Discord does before maintenance. */
  requestReconnect(): void {
    const session = this.session;
    if (session?.socket === undefined) throw new Error('fake-discord: no connected bot session');
    this.send(session.socket, session.connection, { op: Op.Reconnect, t: null, s: null, d: null });
  }

  async close(): Promise<void> {
    for (const ws of this.server.clients) ws.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(ws: WebSocket, url: URL): void {
    const connection: GatewayConnection = {
      id: this.connections.length,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
    };
    this.connections.push(connection);
    let identified = false;
    ws.on('close', (code) => {
      this.disconnections.push({ connection: connection.id, code });
      const session = this.session;
      if (session?.socket !== ws) return;
      session.socket = undefined;
      // A clean close ends the session; any other close code leaves it resumable.
      if (code === 1000 || code === 1001) this.session = undefined;
    });
    ws.on('message', (raw: RawData) => {
      const payload = parse(raw);
      if (payload === undefined) return ws.close(CloseCode.DecodeError, 'Decode error.');
      this.frames.push({ direction: 'received', connection: connection.id, ...payload });
      if (payload.op === Op.Heartbeat) {
        this.send(ws, connection.id, { op: Op.HeartbeatAck, t: null, s: null, d: null });
      } else if (payload.op === Op.Identify) {
        if (identified) return ws.close(CloseCode.AlreadyAuthenticated, 'Already authenticated.');
        identified = this.identify(ws, connection.id, payload.d);
      } else if (payload.op === Op.Resume) {
        identified = this.resume(ws, connection.id, payload.d);
      } else if (!Object.values(Op).includes(payload.op as never)) {
        ws.close(CloseCode.UnknownOpcode, 'Unknown opcode.');
      } else if (!identified) {
        ws.close(CloseCode.NotAuthenticated, 'Not authenticated.');
      }
    });
    if (connection.query.v !== '10') return ws.close(CloseCode.InvalidApiVersion, 'Invalid API version.');
    if (connection.query.encoding !== 'json') return ws.close(CloseCode.DecodeError, 'Only JSON encoding is served.');
    this.send(ws, connection.id, {
      op: Op.Hello,
      t: null,
      s: null,
      d: { heartbeat_interval: this.options.heartbeatIntervalMs },
    });
  }

  private identify(ws: WebSocket, connection: number, d: unknown): boolean {
    const identify = (d ?? {}) as Record<string, unknown>;
    if (identify.token !== this.options.token) {
      ws.close(CloseCode.AuthenticationFailed, 'Authentication failed.');
      return false;
    }
    if (typeof identify.intents !== 'number') {
      ws.close(CloseCode.InvalidIntents, 'Invalid intent(s).');
      return false;
    }
    const shard = identify.shard;
    if (shard !== undefined && !(Array.isArray(shard) && shard[0] === 0 && shard[1] === 1)) {
      ws.close(CloseCode.InvalidShard, 'Invalid shard.');
      return false;
    }
    const id = `fake-session-${++this.sessionCount}`;
    this.session = { id, events: [], socket: ws, connection };
    const { ready, then } = this.options.onIdentify(id);
    this.dispatch('READY', ready);
    // The follow-up dispatches (GUILD_CREATE) go out on a later turn, after READY is flushed.
    setImmediate(() => {
      if (this.session?.id !== id) return;
      for (const event of then) this.dispatch(event.t, event.d);
    });
    return true;
  }

  private resume(ws: WebSocket, connection: number, d: unknown): boolean {
    const resume = (d ?? {}) as Record<string, unknown>;
    if (resume.token !== this.options.token) {
      ws.close(CloseCode.AuthenticationFailed, 'Authentication failed.');
      return false;
    }
    const session = this.session;
    if (session === undefined || session.id !== resume.session_id) {
      this.send(ws, connection, { op: Op.InvalidSession, t: null, s: null, d: false });
      return false;
    }
    if (session.socket !== undefined && session.socket !== ws) session.socket.terminate();
    session.socket = ws;
    session.connection = connection;
    const after = typeof resume.seq === 'number' ? resume.seq : 0;
    for (const event of session.events) {
      if (event.s > after) this.send(ws, connection, { op: Op.Dispatch, ...event });
    }
    this.dispatch('RESUMED', {});
    return true;
  }

  private send(ws: WebSocket, connection: number, frame: Omit<GatewayFrame, 'direction' | 'connection'>): void {
    this.frames.push({ direction: 'sent', connection, ...frame });
    ws.send(JSON.stringify(frame));
  }
}

function parse(raw: RawData): Omit<GatewayFrame, 'direction' | 'connection'> | undefined {
  try {
    const bytes = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
    const text = bytes.toString('utf8');
    const payload = JSON.parse(text) as Record<string, unknown>;
    if (typeof payload.op !== 'number') return undefined;
    return {
      op: payload.op,
      t: typeof payload.t === 'string' ? payload.t : null,
      s: typeof payload.s === 'number' ? payload.s : null,
      d: payload.d,
    };
  } catch {
    return undefined;
  }
}

function describeFrame(f: GatewayFrame): string {
  const name = f.t ?? Object.entries(Op).find(([, op]) => op === f.op)?.[0] ?? `op ${f.op}`;
  return `${f.direction === 'sent' ? '->' : '<-'} [${f.connection}] ${name}${f.s === null ? '' : ` s=${f.s}`}`;
}
