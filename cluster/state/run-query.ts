import { CommandRejectedError } from '../raft/errors.ts';
import { isAgentOnline } from './agent-online.ts';
import { jobQueuePosition } from './fair-scheduler.ts';
import type { Query } from './queries.ts';
import type { StateData } from './state-data.ts';
import type { AgentStatus, Job, JobState, SubjectStatus } from './types.ts';
import { views } from './views.ts';

/**
 * Answers a validated query from the state without changing it. Results are copies in
 * registration order; a lookup of a missing id throws {@link CommandRejectedError} (`not_found`).
 */
export function runQuery(data: StateData, query: Query): unknown {
  switch (query.type) {
    case 'listAgents':
      return { agents: [...data.agents.values()].filter((a) => query.status === undefined || a.status === query.status).map(views.agent) };
    case 'getAgent': {
      const agent = data.agents.get(query.agentId);
      if (!agent) throw new CommandRejectedError(`no agent has id ${query.agentId}; check the id with \`teambooth agents list\``, 'not_found');
      return views.agent(agent);
    }
    case 'findAgentByTokenHash': {
      const id = data.agentTokenIndex.get(query.tokenHash);
      const agent = id === undefined ? undefined : data.agents.get(id);
      return agent ? views.agent(agent) : null;
    }
    case 'listJobs': {
      const jobs = [...data.jobs.values()].filter(
        (job) =>
          (query.state === undefined || job.state === query.state) &&
          (query.kind === undefined || job.kind === query.kind) &&
          (query.requester === undefined || job.requester === query.requester),
      );
      const shown = query.limit === undefined ? jobs : jobs.slice(Math.max(0, jobs.length - query.limit));
      return { jobs: shown.map(views.job) };
    }
    case 'getJob':
      return views.job(findJob(data, query.jobId));
    case 'jobQueuePosition':
      return jobQueuePosition(data, findJob(data, query.jobId));
    case 'listModelVersions':
      return { versions: [...data.versions.values()].map(views.version), currentVersion: data.currentVersion };
    case 'getModelVersion': {
      const version = data.versions.get(query.versionId);
      if (!version) throw new CommandRejectedError(`there is no model version ${query.versionId}; list them with \`teambooth model list\``, 'not_found');
      return views.version(version);
    }
    case 'pendingMerges':
      return { merges: [...data.pendingMerges].map((id) => views.job(data.jobs.get(id)!)), settings: { ...data.mergeSettings }, currentVersion: data.currentVersion };
    case 'mergeSettings':
      return { ...data.mergeSettings };
    case 'currentModel': {
      const current = data.currentVersion === null ? undefined : data.versions.get(data.currentVersion);
      return current ? views.version(current) : null;
    }
    case 'listSubjects':
      return {
        subjects: [...data.subjects.values()]
          .filter((s) => (query.status === undefined || s.status === query.status) && (query.owner === undefined || s.owner === query.owner))
          .map(views.subject),
      };
    case 'getSubject': {
      const subject = data.subjects.get(query.token);
      if (!subject) throw new CommandRejectedError(`subject "${query.token}" is not in the registry`, 'not_found');
      return views.subject(subject);
    }
    case 'kvGet':
      return { value: data.kv.has(query.key) ? structuredClone(data.kv.get(query.key)) : null };
    case 'dueLeases': {
      let count = 0;
      for (const id of data.activeJobIndex) {
        const expiresAt = data.jobs.get(id)?.leaseExpiresAt;
        if (expiresAt !== null && expiresAt !== undefined && expiresAt <= query.now) count += 1;
      }
      return { count };
    }
    case 'queueLength':
      return { queued: data.queue.size };
    case 'summary':
      return summary(data);
    case 'metrics':
      return metricsCounts(data, query.now);
  }
}

/** What the `metrics` query answers: the counts behind a node's scrape-time gauges. */
export interface MetricsCounts {
  jobs: Record<JobState, number>;
  agents: Record<AgentStatus, number>;
  /** Jobs waiting in the queue. */
  queued: number;
  /** Active agents whose last heartbeat is recent at `now` (see {@link isAgentOnline}). */
  online: number;
}

function findJob(data: StateData, jobId: string): Job {
  const job = data.jobs.get(jobId);
  if (!job) throw new CommandRejectedError(`there is no job ${jobId}; check the id`, 'not_found');
  return job;
}

function agentsByStatus(data: StateData): Record<AgentStatus, number> {
  const agents: Record<AgentStatus, number> = { active: 0, paused: 0, revoked: 0 };
  for (const agent of data.agents.values()) agents[agent.status] += 1;
  return agents;
}

function jobsByState(data: StateData): Record<JobState, number> {
  const jobs: Record<JobState, number> = { queued: 0, leased: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
  for (const job of data.jobs.values()) jobs[job.state] += 1;
  return jobs;
}

function metricsCounts(data: StateData, now: number): MetricsCounts {
  let online = 0;
  for (const agent of data.agents.values()) if (isAgentOnline(agent, now)) online += 1;
  return { jobs: jobsByState(data), agents: agentsByStatus(data), queued: data.queue.size, online };
}

function summary(data: StateData) {
  const agents = agentsByStatus(data);
  const subjects: Record<SubjectStatus, number> = { reserved: 0, training: 0, merged: 0, failed: 0, retired: 0 };
  for (const subject of data.subjects.values()) subjects[subject.status] += 1;
  const jobs = jobsByState(data);
  return {
    appliedIndex: data.appliedIndex,
    currentVersion: data.currentVersion,
    modelVersions: data.versions.size,
    agents,
    subjects,
    jobs,
    kvKeys: data.kv.size,
    sessions: data.sessions.size,
    /** Mean run duration of succeeded jobs per kind, the basis of wait estimates. */
    durations: structuredClone(data.stats),
  };
}
