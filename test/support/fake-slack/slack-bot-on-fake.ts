import type { Logger } from 'pino';
import type { BotCore } from '../../../bots/core/bot-core.ts';
import { SlackBot } from '../../../bots/slack/slack-bot.ts';
import { FakeSlack } from './fake-slack.ts';
import { SlackSender } from './slack-sender.ts';

/** Options for {@link startSlackBotOnFake}. */
export interface SlackBotOnFakeOptions {
  core: BotCore;
  logger: Logger;
  /** Slack user ids that may use the admin commands; default none. */
  adminUserIds?: readonly string[];
  /** Default `fake-slack-signing-secret`. */
  signingSecret?: string;
}

/** The Slack app over HTTP on 127.0.0.1, talking to a fake Slack, with a sender of signed requests to it. */
export interface SlackBotOnFake {
  slack: FakeSlack;
  bot: SlackBot;
  sender: SlackSender;
  /** Stops the app, then the fake. */
  close(): Promise<void>;
}

/**
 * Starts a fake Slack and the real Slack app (Bolt, HTTP mode on a port the OS picks) on it,
 * with a {@link SlackSender} that posts signed requests to the app's request URL.
 */
export async function startSlackBotOnFake(options: SlackBotOnFakeOptions): Promise<SlackBotOnFake> {
  const signingSecret = options.signingSecret ?? 'fake-slack-signing-secret';
  const slack = await FakeSlack.start();
  let bot: SlackBot;
  try {
    bot = await SlackBot.start({
      botToken: slack.botToken,
      signingSecret,
      connection: { kind: 'http', port: 0, host: '127.0.0.1' },
      adminUserIds: options.adminUserIds ?? [],
      core: options.core,
      logger: options.logger,
      slackApiUrl: slack.apiUrl,
    });
  } catch (error) {
    await slack.close();
    throw error;
  }
  const sender = new SlackSender({ fake: slack, appUrl: `http://127.0.0.1:${bot.port}/slack/events`, signingSecret });
  return {
    slack,
    bot,
    sender,
    async close() {
      await bot.stop();
      await slack.close();
    },
  };
}
