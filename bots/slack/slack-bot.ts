import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { TRAIN_PHOTO_LIMITS, type BotCore } from '../core/bot-core.ts';
import { type ChatAttachment, type ChatButton, type ChatMessage, type ChatReply, type ChatRequest } from '../core/chat-port.ts';
import { fetchBytes } from '../core/fetch-bytes.ts';
import { textCommands } from '../core/text-commands.ts';

/** How Slack reaches the app: HTTP requests to a public URL, or Socket Mode (an outgoing WebSocket). */
export type SlackConnection = { kind: 'http'; port: number; host?: string } | { kind: 'socket'; appToken: string };

/** Options of {@link SlackBot.start}. */
export interface SlackBotOptions {
  /** The bot token `xoxb-...` (TEAMBOOTH_SLACK_BOT_TOKEN); never logged. */
  botToken: string;
  /** The app's signing secret (TEAMBOOTH_SLACK_SIGNING_SECRET): requests that do not carry its signature are refused. */
  signingSecret: string;
  connection: SlackConnection;
  /** Slack user ids that may use the admin commands. */
  adminUserIds: readonly string[];
  core: BotCore;
  logger: Logger;
  /** Another Slack Web API base URL (ending in `/api/`). */
  slackApiUrl?: string;
}

const TRAIN_VIEW = 'tb_train';
const TRAIN_FILE_TYPES = ['png', 'jpg', 'jpeg', 'webp'];

/**
 * The Slack side of the bot (@slack/bolt): slash commands, the `/train` modal and buttons become
 * calls of the command core; the core's replies become one message in the channel kept up to date
 * with chat.update, images uploaded with files.uploadV2, and ephemeral messages. Every request is
 * acknowledged at once (Slack wants an answer within 3 s) and its signature checked by Bolt.
 */
export class SlackBot {
  readonly app: App;
  readonly #options: SlackBotOptions;
  readonly #running = new Set<AbortController>();
  #server: Server | undefined;

  private constructor(options: SlackBotOptions) {
    this.#options = options;
    const { connection } = options;
    const clientOptions = options.slackApiUrl === undefined ? {} : { slackApiUrl: options.slackApiUrl };
    this.app =
      connection.kind === 'socket'
        ? new App({ token: options.botToken, signingSecret: options.signingSecret, socketMode: true, appToken: connection.appToken, clientOptions, logLevel: LogLevel.ERROR })
        : new App({ token: options.botToken, receiver: new HTTPReceiver({ signingSecret: options.signingSecret, logLevel: LogLevel.ERROR }), clientOptions, logLevel: LogLevel.ERROR });
    this.#routes();
  }

  /** Starts listening (HTTP) or connecting (Socket Mode). */
  static async start(options: SlackBotOptions): Promise<SlackBot> {
    const bot = new SlackBot(options);
    const { connection } = options;
    if (connection.kind === 'http') bot.#server = (await bot.app.start({ port: connection.port, host: connection.host ?? '0.0.0.0' })) as Server;
    else await bot.app.start();
    options.logger.info({ mode: connection.kind, port: bot.port }, 'slack bot ready');
    return bot;
  }

  /** The HTTP port requests arrive on (HTTP mode). */
  get port(): number | undefined {
    return (this.#server?.address() as AddressInfo | null)?.port;
  }

  async stop(): Promise<void> {
    for (const controller of this.#running) controller.abort();
    await this.app.stop();
  }

  #routes(): void {
    const { app } = this;
    const { core } = this.#options;
    app.command('/train', async ({ command, ack, client }) => {
      await ack();
      await client.views.open({ trigger_id: command.trigger_id, view: trainView(command.channel_id) });
    });
    app.view(TRAIN_VIEW, async ({ ack, body, view, client }) => {
      const values = view.state.values;
      const token = values.token?.token?.value ?? '';
      const classWord = values.class?.class?.value ?? '';
      const files = (values.photos?.photos as { files?: SlackFile[] } | undefined)?.files ?? [];
      await ack();
      const channel = (JSON.parse(view.private_metadata || '{}') as { channel?: string }).channel ?? '';
      const photos = files.map((file) => this.#attachment(file));
      await this.#serve(client, channel, body.user.id, body.team?.id ?? body.user.team_id ?? '', view.id, undefined, (request) => core.train(request, { photos, token, classWord }));
    });
    // Files cannot be attached to a slash command, so Slack's /train is the form above.
    const { '/train': _typedTrain, ...typed } = textCommands(core, channelId);
    for (const [name, run] of Object.entries(typed)) {
      app.command(name, async ({ command, ack, client }) => {
        await ack();
        await this.#serve(client, command.channel_id, command.user_id, command.team_id, command.trigger_id, undefined, (request) => run(request, command.text, []));
      });
    }
    app.action(/^tb:/, async ({ ack, body, action, client }) => {
      await ack();
      if (body.type !== 'block_actions' || action.type !== 'button' || !('action_id' in action)) return;
      const channel = body.channel?.id ?? body.container?.channel_id ?? '';
      await this.#serve(client, channel, body.user.id, body.team?.id ?? '', `${body.trigger_id}`, body.message?.ts, (request) => core.press(request, action.action_id));
    });
  }

  /** Builds the request for one command or press and runs it. */
  async #serve(client: WebClient, channel: string, user: string, team: string, interactionId: string, pressedTs: string | undefined, run: (request: ChatRequest) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    this.#running.add(controller);
    let ts: string | undefined;
    const reply: ChatReply = {
      show: async (message) => {
        const body = { channel, text: mrkdwn(message.text), blocks: blocks(message) };
        if (message.images !== undefined && message.images.length > 0) {
          await client.files.uploadV2({
            channel_id: channel,
            initial_comment: mrkdwn(message.text),
            file_uploads: message.images.map((image) => ({ file: Buffer.from(image.bytes), filename: image.name })),
          });
        }
        if (ts === undefined) ts = (await client.chat.postMessage(body)).ts;
        else await client.chat.update({ ...body, ts });
      },
      post: async (message) => {
        await client.chat.postMessage({ channel, text: mrkdwn(message.mention === undefined ? message.text : `<@${message.mention}> ${message.text}`) });
      },
      whisper: async (text) => {
        await client.chat.postEphemeral({ channel, user, text: mrkdwn(text) });
      },
      remove: async () => {
        if (pressedTs !== undefined) await client.chat.delete({ channel, ts: pressedTs });
      },
    };
    try {
      await run({
        place: { platform: 'slack', serverId: team, channelId: channel },
        member: { id: user, name: user, isAdmin: this.#options.adminUserIds.includes(user) },
        reply,
        interactionId,
        signal: controller.signal,
      });
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'slack request failed');
    } finally {
      this.#running.delete(controller);
    }
  }

  #attachment(file: SlackFile): ChatAttachment {
    const token = this.#options.botToken;
    return {
      name: file.name ?? 'photo',
      contentType: file.mimetype ?? null,
      size: file.size ?? 0,
      download: (signal) => fetchBytes(file.url_private ?? '', `${file.name ?? 'a file'} from Slack`, signal, { authorization: `Bearer ${token}` }),
    };
  }
}

/** A file of a `file_input`, as a view submission carries it. */
interface SlackFile {
  name?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
}

/** `<#C123|general>` or `C123` to `C123`. */
function channelId(value: string | undefined): string | undefined {
  return value === undefined ? undefined : (/^<#([A-Z0-9]+)(?:\|[^>]*)?>$/.exec(value)?.[1] ?? value);
}

/** The core's `**bold**` as Slack's `*bold*`. */
function mrkdwn(text: string): string {
  return text.replace(/\*\*([^*]+)\*\*/g, '*$1*');
}

const BUTTON_STYLES: Record<ChatButton['style'], 'primary' | 'danger' | undefined> = { primary: 'primary', danger: 'danger', secondary: undefined };

/** A core message as Block Kit: its text, and its buttons as one actions block. */
function blocks(message: ChatMessage): object[] {
  const text = { type: 'section', text: { type: 'mrkdwn', text: mrkdwn(message.text).slice(0, 3000) } };
  const buttons = message.buttons ?? [];
  if (buttons.length === 0) return [text];
  return [
    text,
    {
      type: 'actions',
      elements: buttons.map((b) => ({ type: 'button', action_id: b.id, value: b.id, text: { type: 'plain_text', text: b.label }, ...(BUTTON_STYLES[b.style] === undefined ? {} : { style: BUTTON_STYLES[b.style] }) })),
    },
  ];
}

/** The `/train` modal: the subject's token and class, and up to 10 photos. */
function trainView(channel: string) {
  return {
    type: 'modal' as const,
    callback_id: TRAIN_VIEW,
    private_metadata: JSON.stringify({ channel }),
    title: { type: 'plain_text' as const, text: 'Train a subject' },
    submit: { type: 'plain_text' as const, text: 'Train' },
    blocks: [
      { type: 'input', block_id: 'token', label: { type: 'plain_text', text: 'Token (a rare word, e.g. zxq)' }, element: { type: 'plain_text_input', action_id: 'token', max_length: 32 } },
      { type: 'input', block_id: 'class', label: { type: 'plain_text', text: 'Class (what it is, e.g. dog)' }, element: { type: 'plain_text_input', action_id: 'class', max_length: 32 } },
      { type: 'input', block_id: 'photos', label: { type: 'plain_text', text: `${TRAIN_PHOTO_LIMITS.min} to ${TRAIN_PHOTO_LIMITS.max} photos` }, element: { type: 'file_input', action_id: 'photos', filetypes: TRAIN_FILE_TYPES, max_files: TRAIN_PHOTO_LIMITS.max } },
    ],
  };
}
