import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, type AppOptions, type Logger } from '@slack/bolt';
import type { FakeSlack } from './fake-slack.ts';
import { SlackSender } from './slack-sender.ts';

/** A Bolt logger that keeps what it is told, for assertions, and prints nothing. */
export class CaptureLogger implements Logger {
  readonly lines: { level: LogLevel; text: string }[] = [];
  private level = LogLevel.DEBUG;
  private name = 'bolt';

  debug(...msg: unknown[]): void {
    this.keep(LogLevel.DEBUG, msg);
  }
  info(...msg: unknown[]): void {
    this.keep(LogLevel.INFO, msg);
  }
  warn(...msg: unknown[]): void {
    this.keep(LogLevel.WARN, msg);
  }
  error(...msg: unknown[]): void {
    this.keep(LogLevel.ERROR, msg);
  }
  setLevel(level: LogLevel): void {
    this.level = level;
  }
  getLevel(): LogLevel {
    return this.level;
  }
  setName(name: string): void {
    this.name = name;
  }

  /** The kept lines at `level`. */
  at(level: LogLevel): string[] {
    return this.lines.filter((l) => l.level === level).map((l) => l.text);
  }

  private keep(level: LogLevel, msg: unknown[]): void {
    this.lines.push({ level, text: `${this.name}: ${msg.map(String).join(' ')}` });
  }
}

/**
 * The Bolt options that point an app at a fake: its Web API URL, its bot token, and no retries
 * (the client's default retries a failed request for half an hour).
 */
export function fakeSlackAppOptions(fake: FakeSlack, signingSecret: string, logger: Logger): AppOptions {
  return {
    token: fake.botToken,
    logger,
    receiver: new HTTPReceiver({ signingSecret, endpoints: '/slack/events', logger }),
    clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
  };
}

/** A real Bolt app listening on 127.0.0.1, wired to a fake, with a sender of signed requests. */
export interface BoltTestApp {
  app: App;
  /** The app's request URL. */
  url: string;
  sender: SlackSender;
  logger: CaptureLogger;
  stop(): Promise<void>;
}

/**
 * Builds a Bolt app against `fake`, lets `register` add its listeners, and starts its HTTP
 * receiver on an OS-assigned port.
 */
export async function startBoltTestApp(
  fake: FakeSlack,
  signingSecret: string,
  register: (app: App) => void,
): Promise<BoltTestApp> {
  const logger = new CaptureLogger();
  const app = new App(fakeSlackAppOptions(fake, signingSecret, logger));
  register(app);
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  return {
    app,
    url,
    sender: new SlackSender({ fake, appUrl: url, signingSecret }),
    logger,
    stop: async () => {
      await app.stop();
    },
  };
}
