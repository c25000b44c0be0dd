import { createHash, randomBytes as cryptoRandomBytes } from 'node:crypto';

/** Prefix of agent tokens, so a leaked one is recognisable (and redacted from logs). */
export const AGENT_TOKEN_PREFIX = 'tbat_';

/** A new agent token: `tbat_` + 32 random bytes in base64url. */
export function generateAgentToken(randomBytes: (size: number) => Buffer = cryptoRandomBytes): string {
  return AGENT_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** What the cluster stores instead of the token: the SHA-256 (hex) of the whole token text. */
export function agentTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Registers an agent through the log with a fresh token and returns the agent and its token (the
 * only time the token exists outside the agent): what `teambooth agents token create` does.
 */
export async function registerAgent(
  admin: { propose(command: unknown, signal?: AbortSignal): Promise<unknown> },
  agent: { name: string; owner: string },
  options: { randomBytes?: (size: number) => Buffer; signal?: AbortSignal } = {},
): Promise<{ result: unknown; token: string }> {
  const token = generateAgentToken(options.randomBytes);
  const result = await admin.propose({ type: 'createAgent', name: agent.name, owner: agent.owner, tokenHash: agentTokenHash(token) }, options.signal);
  return { result, token };
}
