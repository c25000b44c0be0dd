import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { S3Credentials } from './s3-blob-store.ts';

/** A request as it arrived: method, raw URL (path and query as sent) and headers. */
export interface SignedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** Why a request was refused, in S3's terms. */
export interface SigV4Refusal {
  status: 400 | 403;
  code: string;
  message: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
/** Allowed clock difference for header-signed requests (as S3). */
const MAX_SKEW_MS = 15 * 60 * 1000;
/** S3's upper bound of X-Amz-Expires. */
const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;

function refuse(code: string, message: string, status: 400 | 403 = 403): SigV4Refusal {
  return { status, code, message };
}

/** RFC 3986 encoding, as SigV4 canonicalization wants it. */
function encode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function parseQuery(raw: string): Array<[string, string]> {
  if (raw === '') return [];
  return raw.split('&').map((pair) => {
    const at = pair.indexOf('=');
    const [key, value] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    return [decodeURIComponent(key), decodeURIComponent(value)];
  });
}

/** `20261126T022134Z` to milliseconds, or NaN. */
function parseAmzDate(text: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m === null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return (Array.isArray(value) ? value.join(',') : value ?? '').trim().replace(/\s+/g, ' ');
}

interface Parsed {
  credential: string;
  signedHeaders: string;
  signature: string;
  amzDate: string;
  payloadHash: string;
  query: Array<[string, string]>;
}

function parseRequest(request: SignedRequest, query: Array<[string, string]>, nowMs: number): Parsed | SigV4Refusal {
  const params = new Map(query);
  if (params.has('X-Amz-Algorithm')) {
    if (params.get('X-Amz-Algorithm') !== ALGORITHM) return refuse('AuthorizationQueryParametersError', `only ${ALGORITHM} is supported`, 400);
    const [credential, signedHeaders, signature, amzDate, expires] = ['X-Amz-Credential', 'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-Expires'].map((k) => params.get(k));
    if (credential === undefined || signedHeaders === undefined || signature === undefined || amzDate === undefined || expires === undefined) {
      return refuse('AuthorizationQueryParametersError', 'a presigned URL needs X-Amz-Credential, -SignedHeaders, -Signature, -Date and -Expires', 400);
    }
    const signedAt = parseAmzDate(amzDate);
    const seconds = Number(expires);
    if (Number.isNaN(signedAt) || !Number.isInteger(seconds) || seconds < 0 || seconds > MAX_EXPIRES_SECONDS) {
      return refuse('AuthorizationQueryParametersError', 'X-Amz-Date or X-Amz-Expires is malformed', 400);
    }
    if (nowMs > signedAt + seconds * 1000) return refuse('AccessDenied', 'Request has expired; ask the cluster for a fresh URL');
    if (signedAt > nowMs + MAX_SKEW_MS) return refuse('AccessDenied', 'Request is signed in the future; check the signer\'s clock');
    return { credential, signedHeaders, signature, amzDate, payloadHash: 'UNSIGNED-PAYLOAD', query: query.filter(([k]) => k !== 'X-Amz-Signature') };
  }
  const authorization = header(request.headers, 'authorization');
  if (authorization === '') {
    return refuse('AccessDenied', 'anonymous requests are refused; sign with the cluster\'s S3 credentials or use a presigned URL');
  }
  if (!authorization.startsWith(`${ALGORITHM} `)) return refuse('InvalidRequest', `only ${ALGORITHM} signatures are supported`, 400);
  const parts = new Map(
    authorization
      .slice(ALGORITHM.length + 1)
      .split(',')
      .map((part) => part.trim().split('=', 2) as [string, string]),
  );
  const [credential, signedHeaders, signature] = [parts.get('Credential'), parts.get('SignedHeaders'), parts.get('Signature')];
  const amzDate = header(request.headers, 'x-amz-date');
  const payloadHash = header(request.headers, 'x-amz-content-sha256');
  if (credential === undefined || signedHeaders === undefined || signature === undefined || amzDate === '' || payloadHash === '') {
    return refuse('AuthorizationHeaderMalformed', 'the Authorization header needs Credential, SignedHeaders, Signature, with x-amz-date and x-amz-content-sha256', 400);
  }
  const signedAt = parseAmzDate(amzDate);
  if (Number.isNaN(signedAt) || Math.abs(nowMs - signedAt) > MAX_SKEW_MS) {
    return refuse('RequestTimeTooSkewed', 'the request time differs from the server\'s by more than 15 minutes; check the clocks');
  }
  return { credential, signedHeaders, signature, amzDate, payloadHash, query };
}

/**
 * Checks an AWS Signature Version 4 request (Authorization header or presigned query) against
 * one credential pair, as S3 does: the method, the exact path (so a URL signed for one key cannot
 * touch another), the query, every signed header (Content-Length and Content-Type included when
 * signed), and the expiry. Returns undefined when the signature holds. The payload hash is taken
 * as declared (the body itself is not hashed here).
 */
export function verifySigV4(request: SignedRequest, credentials: S3Credentials, nowMs: number): SigV4Refusal | undefined {
  const at = request.url.indexOf('?');
  const path = at < 0 ? request.url : request.url.slice(0, at);
  let query: Array<[string, string]>;
  try {
    query = parseQuery(at < 0 ? '' : request.url.slice(at + 1));
  } catch {
    return refuse('InvalidRequest', 'the query string is not valid percent-encoding', 400);
  }
  const parsed = parseRequest(request, query, nowMs);
  if ('status' in parsed) return parsed;
  const [accessKeyId, date, region, service, terminator] = parsed.credential.split('/');
  if (accessKeyId !== credentials.accessKeyId) return refuse('InvalidAccessKeyId', 'the access key id is not known to this server');
  if (date !== parsed.amzDate.slice(0, 8) || region === undefined || service !== 's3' || terminator !== 'aws4_request') {
    return refuse('AuthorizationHeaderMalformed', 'the credential scope must be <key>/<yyyymmdd>/<region>/s3/aws4_request', 400);
  }
  const names = parsed.signedHeaders.split(';');
  if (!names.includes('host')) return refuse('AccessDenied', 'the host header must be signed');
  const canonicalQuery = parsed.query
    .map(([k, v]) => [encode(k), encode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = names.map((name) => `${name}:${header(request.headers, name)}\n`).join('');
  const canonicalRequest = [request.method, path, canonicalQuery, canonicalHeaders, parsed.signedHeaders, parsed.payloadHash].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = [ALGORITHM, parsed.amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${credentials.secretAccessKey}`).update(date).digest();
  for (const part of [region, 's3', 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(/^[0-9a-f]{64}$/.test(parsed.signature) ? parsed.signature : '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse('SignatureDoesNotMatch', 'the signature does not match this request (a URL is valid for one method, key and set of headers only)');
  }
  return undefined;
}
