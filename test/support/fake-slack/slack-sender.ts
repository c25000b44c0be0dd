import { createHmac } from 'node:crypto';
import type { FakeSlack } from './fake-slack.ts';
import {
  blockActionsPayload,
  slashCommandFields,
  viewSubmissionPayload,
  type BlockActionInput,
  type SlashCommandInput,
  type ViewSubmissionInput,
} from './interaction-payloads.ts';

/**
 * How a request is signed: correctly; with the wrong secret; correctly but with a timestamp
 * ten minutes old (Bolt refuses anything older than five); or without the signature headers.
 */
export type Signing = 'valid' | 'forged' | 'stale' | 'missing';

/** Options of one request to the app. */
export interface SendOptions {
  signing?: Signing;
  signal?: AbortSignal;
}

/** The app's HTTP answer to a request: its ack. */
export interface AppResponse {
  status: number;
  body: string;
  /** The body parsed as JSON, when it is JSON. */
  json: unknown;
}

/** The ack of an interaction, with the IDs the fake issued for it. */
export interface InteractionResponse extends AppResponse {
  triggerId: string;
  /** Undefined for a view_submission. */
  responseUrl: string | undefined;
}

/** Options for {@link SlackSender}. */
export interface SlackSenderOptions {
  /** The workspace the requests come from. */
  fake: FakeSlack;
  /** The app's request URL, e.g. `http://127.0.0.1:PORT/slack/events`. */
  appUrl: string;
  signingSecret: string;
  /** Wall clock in ms for request timestamps; default Date.now (the app checks against its own). */
  now?: () => number;
}

/** The `X-Slack-Signature` of a body: `v0=` + HMAC-SHA256 of `v0:timestamp:body`. */
export function signSlackRequest(signingSecret: string, timestampSec: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

/** Seconds a stale request's timestamp lies in the past. */
const STALE_BY_SEC = 10 * 60;

/**
 * Sends what Slack sends to an app's request URL: slash commands and interactivity payloads,
 * form-encoded and signed with the signing secret, and returns the app's ack.
 */
export class SlackSender {
  private readonly now: () => number;

  constructor(private readonly options: SlackSenderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A user runs a slash command. */
  async slashCommand(input: SlashCommandInput, options?: SendOptions): Promise<InteractionResponse> {
    const fields = slashCommandFields(this.options.fake, input);
    const response = await this.post(new URLSearchParams(fields).toString(), options);
    return { ...response, triggerId: fields.trigger_id as string, responseUrl: fields.response_url };
  }

  /** A user clicks an interactive element of a message. */
  async blockAction(input: BlockActionInput, options?: SendOptions): Promise<InteractionResponse> {
    const payload = blockActionsPayload(this.options.fake, input);
    const response = await this.postPayload(payload, options);
    return { ...response, triggerId: String(payload.trigger_id), responseUrl: String(payload.response_url) };
  }

  /** A user submits a modal. */
  async viewSubmission(input: ViewSubmissionInput, options?: SendOptions): Promise<InteractionResponse> {
    const payload = viewSubmissionPayload(this.options.fake, input);
    const response = await this.postPayload(payload, options);
    return { ...response, triggerId: String(payload.trigger_id), responseUrl: undefined };
  }

  /** Posts an interactivity payload as Slack does: the form field `payload` holding JSON. */
  postPayload(payload: Record<string, unknown>, options?: SendOptions): Promise<AppResponse> {
    return this.post(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), options);
  }

  /** Posts a form-encoded body to the app, signed as `options.signing` says. */
  async post(body: string, options: SendOptions = {}): Promise<AppResponse> {
    // Bolt compares the content type for equality, so it must carry no charset.
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const signing = options.signing ?? 'valid';
    if (signing !== 'missing') {
      const timestamp = Math.floor(this.now() / 1000) - (signing === 'stale' ? STALE_BY_SEC : 0);
      const secret = signing === 'forged' ? `${this.options.signingSecret}-forged` : this.options.signingSecret;
      headers['x-slack-request-timestamp'] = String(timestamp);
      headers['x-slack-signature'] = signSlackRequest(secret, timestamp, body);
    }
    const res = await fetch(this.options.appUrl, { method: 'POST', headers, body, signal: options.signal });
    const text = await res.text();
    return { status: res.status, body: text, json: parseJson(text) };
  }
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
