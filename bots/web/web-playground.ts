import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { BotClusterApi, BotCore } from '../core/bot-core.ts';
import { TRAIN_PHOTO_LIMITS } from '../core/bot-core.ts';
import type { ChatAttachment, ChatMember, ChatRequest } from '../core/chat-port.ts';
import { textCommands, type TextCommand } from '../core/text-commands.ts';
import { readDashboard, type Dashboard } from './dashboard.ts';
import { TEAMBOOTH_AUTHOR, WebChannel, type ChannelEvent } from './web-channel.ts';

/** Options of {@link WebPlayground.start}. */
export interface WebPlaygroundOptions {
  core: BotCore;
  /** The cluster the dashboard reads (a client with a short deadline: a node that hangs shows as down rather than stalling the picture). */
  cluster: BotClusterApi;
  logger: Logger;
  host: string;
  /** 0 lets the OS pick. */
  port: number;
  now: () => number;
  /** Members may use the admin commands (the playground on a loopback address: whoever runs it operates it). */
  membersAreAdmins: boolean;
  /** How often the dashboard is read while a browser watches. */
  dashboardIntervalMs?: number;
}

/** The playground's one server and channel, as commands see them. */
const PLACE = { platform: 'web', serverId: 'playground', channelId: 'general' } as const;
const PUBLIC_DIR = join(import.meta.dirname, 'public');
const STATIC_FILES: Record<string, string> = { '/': 'index.html', '/app.js': 'app.js', '/style.css': 'style.css' };
const CONTENT_TYPES: Record<string, string> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

const memberSchema = {
  key: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, "key must be the browser's secret: 16 to 128 letters, digits, - or _"),
  name: z.string().trim().min(1, 'name must not be empty').max(32, 'name must be at most 32 characters'),
};
const commandSchema = z.object({ ...memberSchema, text: z.string().max(4000, 'a command is at most 4000 characters'), interactionId: z.string().max(100).optional() });
const pressSchema = z.object({ ...memberSchema, messageId: z.string().max(40), buttonId: z.string().max(200), interactionId: z.string().max(100).optional() });
/** Sent by the page with every POST: a header other sites cannot make a browser send without asking first (CORS). */
export const PLAYGROUND_HEADER = 'x-teambooth-playground';
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

/**
 * A member's public id, from the secret key their browser keeps: other members see the id on
 * messages, and cannot turn it back into the key that reads that member's whispers.
 */
export function memberIdOfKey(key: string): string {
  return `web-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/**
 * The web playground: a page that behaves like a chat channel backed by the same command core as
 * the Discord and Slack bots (type `/imagine ...`, attach photos to `/train ...`, press the
 * buttons under results), beside a live dashboard of the cluster. Browsers send commands with
 * POST and receive the channel and the dashboard over one Server-Sent Events stream.
 */
export class WebPlayground {
  readonly #app: FastifyInstance;
  readonly #options: WebPlaygroundOptions;
  readonly #channel: WebChannel;
  readonly #commands: Record<string, TextCommand>;
  readonly #running = new Set<AbortController>();
  readonly #watchers = new Set<(dashboard: Dashboard) => void>();
  #dashboard: { json: string; value: Dashboard } | undefined;
  #dashboardTimer: NodeJS.Timeout | undefined;
  #reading = false;
  readonly #stopping = new AbortController();

  private constructor(options: WebPlaygroundOptions, app: FastifyInstance) {
    this.#options = options;
    this.#app = app;
    // Image URLs differ from one run to the next, so a browser never shows a cached image of an earlier run.
    this.#channel = new WebChannel({ now: options.now, imagePrefix: randomBytes(4).toString('hex') });
    this.#commands = textCommands(options.core);
  }

  /** Starts listening on `host:port`. */
  static async start(options: WebPlaygroundOptions): Promise<WebPlayground> {
    const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
    await app.register(multipart, { limits: { files: TRAIN_PHOTO_LIMITS.max + 2, fileSize: TRAIN_PHOTO_LIMITS.maxBytes + 1024 * 1024, fields: 10, fieldSize: 32 * 1024 } });
    const playground = new WebPlayground(options, app);
    await playground.#routes();
    await app.listen({ host: options.host, port: options.port });
    options.logger.info({ url: playground.url }, 'web playground ready');
    return playground;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#app.server.address() as AddressInfo).port;
  }

  /** Where a browser on this machine opens it. */
  get url(): string {
    const host = this.#options.host === '0.0.0.0' || this.#options.host === '::' ? '127.0.0.1' : this.#options.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${this.port}/`;
  }

  /** Stops the commands in flight and the server. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearInterval(this.#dashboardTimer);
    for (const controller of this.#running) controller.abort();
    await this.#app.close();
  }

  async #routes(): Promise<void> {
    const app = this.#app;
    app.addHook('onRequest', async (request, reply) => {
      const refusal = this.#foreignRequest(request);
      if (refusal !== undefined) return reply.code(403).send({ error: refusal });
    });
    const files = new Map<string, string>();
    for (const [path, name] of Object.entries(STATIC_FILES)) files.set(path, await readFile(join(PUBLIC_DIR, name), 'utf8'));
    for (const [path, name] of Object.entries(STATIC_FILES)) {
      app.get(path, (_request, reply) => reply.type(CONTENT_TYPES[name.split('.').pop()!]!).header('cache-control', 'no-cache').send(files.get(path)));
    }
    app.get('/api/images/:id', (request, reply) => {
      const image = this.#channel.image((request.params as { id: string }).id);
      if (image === undefined) return reply.code(404).send({ error: 'that image is no longer in the channel' });
      return reply.type(image.type).header('cache-control', 'private, max-age=3600').send(Buffer.from(image.bytes));
    });
    app.get('/api/dashboard', async () => this.#dashboard?.value ?? (await readDashboard(this.#options.cluster, this.#options.now, this.#dashboardSignal())));
    app.get('/api/events', (request, reply) => this.#events(request, reply));
    app.post('/api/commands', (request, reply) => this.#command(request, reply));
    app.post('/api/press', (request, reply) => this.#press(request, reply));
    app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
      const status = error.statusCode ?? 500;
      if (status >= 500) this.#options.logger.error({ err: error }, 'playground request failed');
      const message =
        error.code === 'FST_REQ_FILE_TOO_LARGE'
          ? `a photo is larger than ${TRAIN_PHOTO_LIMITS.maxBytes / 2 ** 20} MiB; attach a smaller one`
          : error.code === 'FST_FILES_LIMIT'
            ? `attach at most ${TRAIN_PHOTO_LIMITS.max} photos`
            : status >= 500
              ? 'something went wrong on our side; please try again'
              : error.message;
      void reply.code(status).send({ error: message });
    });
  }

  /** `GET /api/events?key=&name=`: who the member is, the channel's history, then every change and the dashboard, as Server-Sent Events. */
  #events(request: FastifyRequest, reply: FastifyReply): void {
    const parsed = z.object(memberSchema).safeParse(request.query);
    if (!parsed.success) {
      void reply.code(400).send({ error: describeProblem(parsed.error) });
      return;
    }
    const member = { id: memberIdOfKey(parsed.data.key), name: parsed.data.name };
    this.#channel.join(member);
    reply.hijack();
    const out = reply.raw;
    // The connection ends with the stream, so stopping the playground never waits on an idle keep-alive.
    out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'close' });
    const send = (event: string, data: unknown) => out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('hello', { member: member.id });
    send('history', this.#channel.history(member.id));
    if (this.#dashboard !== undefined) send('dashboard', this.#dashboard.value);
    const onChange = (event: ChannelEvent) => send(event.type, event.type === 'message' ? event.message : { id: event.id });
    const onDashboard = (dashboard: Dashboard) => send('dashboard', dashboard);
    const unsubscribe = this.#channel.subscribe(member.id, onChange);
    this.#watchers.add(onDashboard);
    this.#watchDashboard();
    const heartbeat = setInterval(() => out.write(': keep-alive\n\n'), 15_000);
    const close = () => {
      clearInterval(heartbeat);
      unsubscribe();
      this.#watchers.delete(onDashboard);
      this.#stopping.signal.removeEventListener('abort', close);
      if (!out.writableEnded) out.end();
    };
    request.raw.on('close', close);
    this.#stopping.signal.addEventListener('abort', close, { once: true });
  }

  /** `POST /api/commands`: a line of text (JSON, or a form with photos); answered at once, the command runs on. */
  async #command(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const fields: Record<string, string> = {};
    const photos: ChatAttachment[] = [];
    if (request.isMultipart()) {
      for await (const part of request.parts()) {
        if (part.type === 'field') fields[part.fieldname] = String(part.value);
        else {
          const bytes = new Uint8Array(await part.toBuffer());
          photos.push({ name: part.filename, contentType: part.mimetype || null, size: bytes.byteLength, download: async () => bytes });
        }
      }
    } else Object.assign(fields, request.body ?? {});
    const parsed = commandSchema.safeParse(fields);
    if (!parsed.success) return reply.code(400).send({ error: describeProblem(parsed.error) });
    const { key, name, text, interactionId } = parsed.data;
    const member: ChatMember = { id: memberIdOfKey(key), name, isAdmin: this.#options.membersAreAdmins };
    this.#channel.join(member);
    const line = text.trim();
    if (line === '' && photos.length === 0) return reply.code(400).send({ error: 'type a message or a command such as /imagine a red star' });
    const messageId = this.#channel.add({ id: member.id, name, bot: false }, { text: line }, { attachments: photos.map((p) => p.name) });
    if (line.startsWith('/')) {
      const [command = '', ...rest] = line.split(/\s+/);
      const run = this.#commands[command.toLowerCase()];
      if (run === undefined) {
        this.#channel.add(TEAMBOOTH_AUTHOR, { text: `There is no command ${command}; type /help for the list.` }, { onlyFor: member.id });
      } else {
        this.#serve(member, interactionId ?? randomUUID(), undefined, (chat) => run(chat, line.slice(command.length).trim(), photos));
      }
    }
    return reply.code(202).send({ messageId });
  }

  /** `POST /api/press`: a button under one of the bot's messages. */
  async #press(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const parsed = pressSchema.safeParse(request.body ?? {});
    if (!parsed.success) return reply.code(400).send({ error: describeProblem(parsed.error) });
    const { key, name, messageId, buttonId, interactionId } = parsed.data;
    const member: ChatMember = { id: memberIdOfKey(key), name, isAdmin: this.#options.membersAreAdmins };
    this.#channel.join(member);
    const message = this.#channel.message(messageId, member.id);
    if (message === undefined || !message.buttons.some((b) => b.id === buttonId)) return reply.code(404).send({ error: 'that message or button is no longer in the channel' });
    this.#serve(member, interactionId ?? randomUUID(), messageId, (chat) => this.#options.core.press(chat, buttonId));
    return reply.code(202).send({});
  }

  /**
   * Why a request does not come from this playground's own page, or undefined when it does. On a
   * loopback address the Host must name the machine itself (a site whose name resolves to
   * 127.0.0.1 cannot use the playground through the browser); a POST must carry
   * {@link PLAYGROUND_HEADER}, and its Origin, when given, must be the playground's.
   */
  #foreignRequest(request: FastifyRequest): string | undefined {
    const host = request.headers.host ?? '';
    const names = [...LOOPBACK_NAMES, this.#options.host.includes(':') ? `[${this.#options.host}]` : this.#options.host];
    if (this.#options.membersAreAdmins && !names.some((name) => host === `${name}:${this.port}` || host === name)) {
      return `this playground answers only at ${this.url} (the request named host "${host}")`;
    }
    if (request.method !== 'POST') return undefined;
    if (request.headers[PLAYGROUND_HEADER] === undefined) return `commands come from the playground's page (the ${PLAYGROUND_HEADER} header is missing)`;
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) return `commands come from the playground's page, not from ${origin}`;
    return undefined;
  }

  /** Runs one command or press in the background, until it ends or the playground stops. */
  #serve(member: ChatMember, interactionId: string, pressedMessageId: string | undefined, run: (request: ChatRequest) => Promise<void>): void {
    const controller = new AbortController();
    this.#running.add(controller);
    const request: ChatRequest = { place: PLACE, member, reply: this.#channel.replyTo(member, pressedMessageId), interactionId: `${member.id}:${interactionId}`, signal: controller.signal };
    void run(request)
      .catch((error: unknown) => this.#options.logger.warn({ err: error }, 'playground command failed'))
      .finally(() => this.#running.delete(controller));
  }

  /** Reads the dashboard every interval while at least one browser listens, and sends it when it changed. */
  #watchDashboard(): void {
    if (this.#dashboardTimer !== undefined) return;
    const tick = async () => {
      if (this.#watchers.size === 0) {
        clearInterval(this.#dashboardTimer);
        this.#dashboardTimer = undefined;
        return;
      }
      if (this.#reading) return;
      this.#reading = true;
      try {
        await this.#readDashboard();
      } catch (error) {
        if (!this.#stopping.signal.aborted) this.#options.logger.warn({ err: error }, 'reading the dashboard failed');
      } finally {
        this.#reading = false;
      }
    };
    this.#dashboardTimer = setInterval(() => void tick(), this.#options.dashboardIntervalMs ?? 1000);
    void tick();
  }

  #dashboardSignal(): AbortSignal {
    return AbortSignal.any([this.#stopping.signal, AbortSignal.timeout(15_000)]);
  }

  async #readDashboard(): Promise<void> {
    const value = await readDashboard(this.#options.cluster, this.#options.now, this.#dashboardSignal());
    const { at: _at, ...rest } = value;
    const json = JSON.stringify(rest);
    if (this.#dashboard?.json !== json) {
      this.#dashboard = { json, value };
      for (const watcher of this.#watchers) watcher(value);
    }
  }
}

function describeProblem(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`)).join('; ');
}
