import type { CommandInput, CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { commandLogger, createCommandClient, loadCommandConfig, serverOverrides } from '../command-support.ts';
import { UsageError } from '../usage-error.ts';
import { JOB_LIMITS } from '../../cluster/jobs/job-params.ts';
import type { ClusterClientApi } from '../context.ts';

interface BotOptions extends CommonOptions {
  servers?: string;
  imageSide: string;
}

interface DiscordOptions extends BotOptions {
  guild?: string;
}

interface SlackOptions extends BotOptions {
  port: string;
  socket?: boolean;
}

interface WebOptions extends BotOptions {
  port: string;
  host: string;
}

const ENV = {
  discordToken: 'TEAMBOOTH_DISCORD_TOKEN',
  discordAdminRole: 'TEAMBOOTH_DISCORD_ADMIN_ROLE',
  slackBotToken: 'TEAMBOOTH_SLACK_BOT_TOKEN',
  slackSigningSecret: 'TEAMBOOTH_SLACK_SIGNING_SECRET',
  slackAppToken: 'TEAMBOOTH_SLACK_APP_TOKEN',
  slackAdmins: 'TEAMBOOTH_SLACK_ADMINS',
} as const;

/** How long the playground's dashboard waits for a node before showing it as down. */
const DASHBOARD_DEADLINE_MS = 2_000;

/** Edits of one message the bots allow themselves: Discord and Slack both throttle faster edits. */
const MIN_EDIT_INTERVAL_MS = 1500;

function required(input: CommandInput<BotOptions>, name: string, what: string): string {
  const value = input.ctx.env[name]?.trim();
  if (value === undefined || value === '') throw new UsageError(`${name} is not set: put the ${what} in the environment (see "Discord and Slack apps" in the README)`);
  return value;
}

function portNumber(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`--port must be a port number (got ${JSON.stringify(text)})`);
  return port;
}

function side(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 8 || value > JOB_LIMITS.maxImageSide || value % 8 !== 0) throw new UsageError(`--image-side must be a multiple of 8 from 8 to ${JOB_LIMITS.maxImageSide} (got ${JSON.stringify(text)})`);
  return value;
}

/**
 * Runs a bot until SIGINT/SIGTERM: the command core with an admin client of the cluster (the bot
 * submits jobs for its members), and the platform adapter `start` builds on it.
 */
async function runBot(
  input: CommandInput<BotOptions>,
  platform: string,
  start: (deps: {
    core: import('../../bots/core/bot-core.ts').BotCore;
    /** Another admin client with its own deadline; closed with the bot. */
    openClient: (deadlineMs: number) => Promise<ClusterClientApi>;
    logger: ReturnType<typeof commandLogger>;
  }) => Promise<{ stop(): Promise<void>; url?: string }>,
): Promise<number> {
  const { ctx, options } = input;
  const imageSide = side(options.imageSide);
  const loaded = loadCommandConfig(input, serverOverrides(options.servers));
  const logger = commandLogger(input, loaded, 'server').child({ component: `${platform}-bot` });
  const clients: ClusterClientApi[] = [];
  const openClient = async (deadlineMs?: number): Promise<ClusterClientApi> => {
    const opened = await createCommandClient(input, loaded, { admin: true, logger, ...(deadlineMs === undefined ? {} : { deadlineMs }) });
    clients.push(opened);
    return opened;
  };
  const client = await openClient();
  const { BotCore } = await import('../../bots/core/bot-core.ts');
  const core = new BotCore({ cluster: client, logger, now: () => ctx.now(), random: () => ctx.randomBytes(4).readUInt32BE(0) / 2 ** 32, minEditIntervalMs: MIN_EDIT_INTERVAL_MS, imageSide });
  let stopped: () => void = () => {};
  const signalled = new Promise<void>((resolve) => (stopped = resolve));
  const unsubscribe = ctx.onShutdownSignal(() => stopped());
  try {
    const bot = await start({ core, openClient, logger });
    ctx.stdout.write(bot.url === undefined ? `The ${platform} bot is running; Ctrl-C stops it.\n` : `The ${platform} playground is at ${bot.url}; Ctrl-C stops it.\n`);
    await signalled;
    await bot.stop();
    return 0;
  } finally {
    unsubscribe();
    for (const opened of clients) opened.close();
  }
}

const common = (command: import('commander').Command) =>
  command
    .option('--servers <list>', 'comma-separated host:port of the nodes')
    .option('--image-side <px>', "the model's image side; /imagine aspect ratios keep about its area", '64');

/** `teambooth bot discord [deploy-commands]`. */
export const botDiscordCommand = defineCommand<DiscordOptions>({
  path: ['bot', 'discord'],
  summary: `run the Discord bot (token in ${ENV.discordToken}); "deploy-commands" registers its slash commands`,
  define(command) {
    common(command)
      .argument('[action]', 'deploy-commands: register the slash commands (for --guild at once, else globally) and exit')
      .option('--guild <id>', 'with deploy-commands: the server to register the commands in');
  },
  async execute(input) {
    const token = required(input, ENV.discordToken, "Discord bot's token");
    const action = input.args[0];
    if (action !== undefined && action !== 'deploy-commands') throw new UsageError(`unknown action "${action}": the only action is deploy-commands`);
    const adminRoleId = input.ctx.env[ENV.discordAdminRole]?.trim() || undefined;
    const { DiscordBot, deployDiscordCommands } = await import('../../bots/discord/discord-bot.ts');
    if (action === 'deploy-commands') {
      const guildId = input.options.guild;
      const count = await deployDiscordCommands({ token, ...(guildId === undefined ? {} : { guildId }) });
      input.ctx.stdout.write(`Registered ${count} slash commands ${guildId === undefined ? 'globally (Discord may take up to an hour to show them)' : `in server ${guildId}`}.\n`);
      return 0;
    }
    return runBot(input, 'discord', ({ core, logger }) => DiscordBot.start({ token, core, logger, ...(adminRoleId === undefined ? {} : { adminRoleId }) }));
  },
});

/** `teambooth bot slack`. */
export const botSlackCommand = defineCommand<SlackOptions>({
  path: ['bot', 'slack'],
  summary: `run the Slack app (${ENV.slackBotToken}, ${ENV.slackSigningSecret}; ${ENV.slackAppToken} with --socket)`,
  define(command) {
    common(command)
      .option('--port <port>', 'HTTP port Slack sends requests to (Request URL: https://HOST/slack/events)', '3000')
      .option('--socket', `use Socket Mode instead of HTTP (needs an app-level token in ${ENV.slackAppToken})`);
  },
  async execute(input) {
    const botToken = required(input, ENV.slackBotToken, "Slack app's bot token (xoxb-...)");
    const signingSecret = required(input, ENV.slackSigningSecret, "Slack app's signing secret");
    const port = portNumber(input.options.port);
    const connection = input.options.socket === true ? { kind: 'socket' as const, appToken: required(input, ENV.slackAppToken, 'app-level token (xapp-...)') } : { kind: 'http' as const, port };
    const adminUserIds = (input.ctx.env[ENV.slackAdmins] ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
    const { SlackBot } = await import('../../bots/slack/slack-bot.ts');
    return runBot(input, 'slack', ({ core, logger }) => SlackBot.start({ botToken, signingSecret, connection, adminUserIds, core, logger }));
  },
});

/** `teambooth bot web`: the web playground. */
export const botWebCommand = defineCommand<WebOptions>({
  path: ['bot', 'web'],
  summary: 'run the web playground: a chat channel over the same commands as the bots, and a live dashboard of the cluster',
  define(command) {
    common(command)
      .option('--port <port>', 'HTTP port (0: one the OS picks)', '8080')
      .option('--host <address>', 'address to listen on; members are admins only on a loopback address', '127.0.0.1');
  },
  async execute(input) {
    const port = portNumber(input.options.port);
    const host = input.options.host;
    const { WebPlayground } = await import('../../bots/web/web-playground.ts');
    return runBot(input, 'web', async ({ core, openClient, logger }) => {
      // The dashboard asks every node once a second: one that hangs must not hold the picture up for long.
      const cluster = await openClient(DASHBOARD_DEADLINE_MS);
      try {
        return await WebPlayground.start({ core, cluster, logger, host, port, now: () => input.ctx.now(), membersAreAdmins: isLoopback(host) });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`port ${port} on ${host} is already in use: stop whatever holds it, or choose another with --port`);
        if (code === 'EADDRNOTAVAIL') throw new UsageError(`${host} is not an address of this machine: choose another with --host`);
        throw error;
      }
    });
  },
});

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
