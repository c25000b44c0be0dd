import type { Agent, AgentView, Job, ModelVersion, Subject } from './types.ts';

/**
 * Copies of records as commands and queries return them. Copies keep callers from mutating the
 * replicated state; agent views never carry the token hash.
 */
export const views = {
  /** The agent without its token hash; `tokenFingerprint` is the hash's first 8 hex digits. */
  agent(agent: Agent): AgentView {
    return {
      id: agent.id,
      name: agent.name,
      owner: agent.owner,
      tokenFingerprint: agent.tokenHash.slice(0, 8),
      capabilities: agent.capabilities === null ? null : { ...agent.capabilities },
      lastHeartbeat: agent.lastHeartbeat,
      status: agent.status,
      pausedReason: agent.pausedReason,
      recentFailures: [...agent.recentFailures],
      createdAt: agent.createdAt,
    };
  },
  job(job: Job): Job {
    return structuredClone(job);
  },
  version(version: ModelVersion): ModelVersion {
    return { ...version, subjects: [...version.subjects], slots: { ...version.slots } };
  },
  subject(subject: Subject): Subject {
    return { ...subject };
  },
};
