import { pino } from 'pino';
import type { DestinationStream, Logger as PinoLogger } from 'pino';
import type { LogLevel } from './schema.ts';

/** The logger passed to every component; components derive `logger.child({ component: 'raft', nodeId })`. */
export type Logger = PinoLogger;

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  level: LogLevel;
  /** Where JSON lines go (default: standard error, so command output on standard output stays clean). */
  destination?: DestinationStream;
  /** Fields bound to every line, e.g. `{ nodeId: 'n1' }`. */
  base?: Record<string, unknown>;
}

/** Replaces every redacted value. */
export const REDACTED = '[redacted]';

/**
 * Keys whose values are secrets wherever they appear (up to three levels deep, and in arrays):
 * credentials of this project (admin and agent tokens), of S3 (secret keys, presigned URLs), Discord and
 * Slack, and HTTP/gRPC auth.
 */
export const SECRET_KEYS: readonly string[] = [
  'token',
  'adminToken',
  'agentToken',
  'accessToken',
  'refreshToken',
  'botToken',
  'sessionToken',
  'authorization',
  'Authorization',
  'password',
  'passphrase',
  'secret',
  'clientSecret',
  'signingSecret',
  'secretAccessKey',
  'apiKey',
  'privateKey',
  'cookie',
  'x-teambooth-token',
  'presignedUrl',
  'TEAMBOOTH_AGENT_TOKEN',
  'TEAMBOOTH_DISCORD_TOKEN',
  'TEAMBOOTH_SLACK_BOT_TOKEN',
  'TEAMBOOTH_SLACK_SIGNING_SECRET',
  'TEAMBOOTH_SLACK_APP_TOKEN',
];

/** Exact paths redacted in addition to {@link SECRET_KEYS}. */
const EXTRA_PATHS = ['headers.authorization', 'req.headers.authorization', 'metadata.authorization', 'config.adminToken', 'options.adminToken'];

/** Token-like text inside message strings: agent tokens (`tbat_...`), Slack tokens (`xoxb-...`, `xapp-...`) and bearer credentials. */
const SECRET_TEXT = /\btbat_[A-Za-z0-9_-]{8,}|\bxox[abpr]-[A-Za-z0-9-]{8,}|\bxapp-[A-Za-z0-9-]{8,}|\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/g;
/** The signature of a presigned S3 URL: whoever holds it may use the URL until it expires. */
const URL_SIGNATURE = /\b(X-Amz-Signature=)[0-9A-Fa-f]{16,}/g;

function keyPath(prefix: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${prefix}${prefix === '' ? '' : '.'}${key}` : `${prefix}["${key}"]`;
}

function redactPaths(): string[] {
  const paths = new Set<string>(EXTRA_PATHS);
  for (const key of SECRET_KEYS) {
    for (const prefix of ['', '*', '*.*']) paths.add(keyPath(prefix, key));
  }
  return [...paths];
}

function scrubText(text: string): string {
  return text
    .replace(SECRET_TEXT, (_match, bearer: string | undefined) => (bearer === undefined ? REDACTED : `${bearer} ${REDACTED}`))
    .replace(URL_SIGNATURE, (_match, name: string) => `${name}${REDACTED}`);
}

/**
 * Creates the process logger (pino, JSON lines). Secrets are censored as "[redacted]": values of
 * {@link SECRET_KEYS} in logged objects and child bindings, and agent tokens, bearer credentials and
 * presigned-URL signatures inside message strings. Redaction never changes the caller's objects.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const logger = pino(
    {
      level: options.level,
      redact: { paths: redactPaths(), censor: REDACTED },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg: unknown) => (typeof arg === 'string' ? scrubText(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
  return options.base === undefined ? logger : logger.child(options.base);
}
