/**
 * Validation of network addresses (`host:port`) and of peer lists (`n1=host:port,n2=host:port`).
 * Pure functions; they return a problem text instead of throwing so the schema can attach it to a key.
 */

const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_LITERAL = /^\[[0-9A-Fa-f:.]{2,45}\]$/;

/** Node ids: lowercase letters, digits and dashes, starting with a letter or digit, at most 32 characters. */
export const NODE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** The rule for node ids, in words, for error messages. */
export const NODE_ID_RULE = 'lowercase letters, digits and dashes, starting with a letter or digit, at most 32 characters (e.g. n1)';

/**
 * What is wrong with a `host:port` address, or undefined when it is valid.
 * IPv6 hosts are written in brackets (`[::1]:7001`). Port 0 (let the OS choose) only where `allowPortZero`.
 */
export function hostPortProblem(address: string, options: { allowPortZero?: boolean } = {}): string | undefined {
  const expected = `must be host:port, e.g. 127.0.0.1:7001 (got ${JSON.stringify(address)})`;
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return expected;
  const host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (!HOST_NAME.test(host) && !IPV6_LITERAL.test(host)) return expected;
  if (!/^\d{1,5}$/.test(portText)) return expected;
  const port = Number(portText);
  const min = options.allowPortZero === true ? 0 : 1;
  if (port < min || port > 65535) return `has port ${port}; a port must be between ${min} and 65535`;
  return undefined;
}

/** The result of parsing a peer list: the peers, or the problems found (each naming the offending item). */
export type PeerParse = { ok: true; peers: Record<string, string> } | { ok: false; problems: string[] };

/**
 * Parses `n1=127.0.0.1:7001,n2=127.0.0.1:7002` (whitespace around items is ignored). Refuses empty
 * items, items without `=`, bad ids, bad addresses, duplicate ids and duplicate addresses.
 */
export function parsePeerList(text: string): PeerParse {
  const entries: Array<[string, string]> = [];
  const problems: string[] = [];
  const items = text.split(',').map((item) => item.trim());
  if (items.length === 1 && items[0] === '') return { ok: false, problems: ['must list at least one peer as id=host:port'] };
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq < 0) {
      problems.push(`has ${JSON.stringify(item)}, which is not id=host:port (e.g. n1=127.0.0.1:7001)`);
      continue;
    }
    entries.push([item.slice(0, eq).trim(), item.slice(eq + 1).trim()]);
  }
  if (problems.length > 0) return { ok: false, problems };
  return checkPeerEntries(entries);
}

/** Checks id/address pairs (from a parsed list or a JSON object): valid ids and addresses, no duplicates. */
export function checkPeerEntries(entries: Array<[string, string]>): PeerParse {
  const problems: string[] = [];
  const peers: Record<string, string> = {};
  const idsByAddress = new Map<string, string>();
  for (const [id, address] of entries) {
    if (!NODE_ID_PATTERN.test(id)) {
      problems.push(`has peer id ${JSON.stringify(id)}; a node id is ${NODE_ID_RULE}`);
      continue;
    }
    const addressProblem = hostPortProblem(address);
    if (addressProblem !== undefined) {
      problems.push(`has a bad address for ${id}: ${addressProblem}`);
      continue;
    }
    if (Object.hasOwn(peers, id)) {
      problems.push(`lists node id ${id} twice (${peers[id]} and ${address}); every peer needs its own id`);
      continue;
    }
    const key = address.toLowerCase();
    const other = idsByAddress.get(key);
    if (other !== undefined) {
      problems.push(`gives ${other} and ${id} the same address ${address}; every peer needs its own address`);
      continue;
    }
    idsByAddress.set(key, id);
    peers[id] = address;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, peers };
}

/**
 * The host and port of a valid `host:port` address (see {@link hostPortProblem}), with the
 * brackets of an IPv6 host removed, as `net` and `http` servers take them.
 */
export function splitHostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) };
}

/** The `host:port` address of a host and port, with an IPv6 host in brackets (the inverse of {@link splitHostPort}). */
export function joinHostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The host to dial for a server listening on `host`: 127.0.0.1 for a wildcard host (`0.0.0.0`, `::`), else `host` itself. */
export function dialHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
