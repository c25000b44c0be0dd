/**
 * Errors of the GPU agent that decide what it tells the cluster: a {@link JobInputError} fails the
 * job for good (no other agent could do better), a {@link LeaseLostError} means the job is no
 * longer ours (nothing to report), an {@link AgentRejectedError} ends the agent process.
 */

/** The job's own input is bad (a photo that does not decode, a prompt or size the model refuses): retrying elsewhere is pointless. */
export class JobInputError extends Error {
  override readonly name = 'JobInputError';
}

/** The cluster says this agent no longer holds the job (its lease expired, or the job was cancelled). */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
}

/** The cluster refuses this agent for good (revoked, or its token is not accepted): the process must stop. */
export class AgentRejectedError extends Error {
  override readonly name = 'AgentRejectedError';
}

/** An upload or download that failed for good (a refusal, or retries ran out of their time budget). */
export class TransferError extends Error {
  override readonly name = 'TransferError';
}

/** The {@link AgentRejectedError} for a token the cluster does not accept; says how to get a working one. */
export function tokenRefusedError(error: Error): AgentRejectedError {
  return new AgentRejectedError(
    `the cluster refused this agent's token (${error.message}); check TEAMBOOTH_AGENT_TOKEN, or create a new token with \`teambooth agents token create --name NAME\``,
  );
}
