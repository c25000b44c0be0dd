import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { grpcStatusFromError } from '../../../cluster/server/grpc-status.ts';
import type { AgentStatus } from '../../../cluster/state/types.ts';
import { loadProtos } from '../../../proto/load.ts';

/** One call the fake received: the method, its decoded request and its `authorization` metadata. */
export interface RecordedCall {
  method: string;
  request: Record<string, unknown>;
  authorization: string | undefined;
}

/** A job the fake hands out on the next Claim. */
export interface OfferedJob {
  job: { id: string; kind: string; params: Record<string, unknown>; attempts: number };
  leaseMs: number;
  inputs?: Record<string, string>;
  outputs?: Record<string, string>;
}

/**
 * Test helper: a real @grpc/grpc-js server implementing the agent calls of the Jobs service
 * (proto/jobs.proto) with canned behaviour. It records every call, hands out offered jobs on
 * Claim (a Claim with nothing to offer waits up to its `waitMs`, like the real long poll), and
 * answers Progress, Complete and Fail through overridable handlers; a handler that throws a typed
 * error (CommandRejectedError...) answers with the status the real node would send.
 */
export interface FakeJobsServer {
  /** 127.0.0.1:PORT. */
  readonly address: string;
  readonly calls: RecordedCall[];
  /** The agent record the default `heartbeat` returns. */
  agent: { id: string; name: string; status: AgentStatus; pausedReason: string | null };
  heartbeat: (request: Record<string, unknown>) => unknown;
  progress: (request: Record<string, unknown>) => { leaseMs: number; inputs?: Record<string, string>; outputs?: Record<string, string> };
  complete: (request: Record<string, unknown>) => void;
  fail: (request: Record<string, unknown>) => void;
  /** Queues a job for the next Claim. */
  offer(job: OfferedJob): void;
  /** The recorded calls of one method. */
  callsOf(method: string): Record<string, unknown>[];
  /** Resolves once `predicate` holds for the recorded calls (checked at every call). */
  waitFor(predicate: (calls: readonly RecordedCall[]) => boolean): Promise<void>;
  close(): Promise<void>;
}

type Handler = (request: Record<string, unknown>, call: grpc.ServerUnaryCall<unknown, unknown>) => unknown;

/** Starts a {@link FakeJobsServer} on 127.0.0.1, on `port` (default: a free one). */
export async function startFakeJobsServer(port = 0): Promise<FakeJobsServer> {
  const logger = pino({ level: 'silent' });
  const calls: RecordedCall[] = [];
  const offered: OfferedJob[] = [];
  const claimWaiters = new Set<() => void>();
  const watchers = new Set<() => void>();

  const claim = (request: Record<string, unknown>, call: grpc.ServerUnaryCall<unknown, unknown>): Promise<unknown> =>
    new Promise((resolve) => {
      const answer = (): void => {
        claimWaiters.delete(answer);
        clearTimeout(timer);
        const next = offered.shift();
        resolve(next === undefined ? { job: '' } : { job: JSON.stringify(next.job), leaseMs: next.leaseMs, inputs: next.inputs ?? {}, outputs: next.outputs ?? {} });
      };
      const timer = setTimeout(answer, Number(request['waitMs']));
      call.on('cancelled', () => {
        claimWaiters.delete(answer);
        clearTimeout(timer);
      });
      if (offered.length > 0) answer();
      else claimWaiters.add(answer);
    });

  const handlers: Record<string, Handler> = {
    AgentHeartbeat: (request) => ({ agent: JSON.stringify(fake.heartbeat(request)) }),
    Claim: claim,
    Progress: (request) => fake.progress(request),
    Complete: (request) => {
      fake.complete(request);
      return { job: '' };
    },
    Fail: (request) => {
      fake.fail(request);
      return { job: '' };
    },
  };
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(handlers)) {
    implementation[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const request = call.request as Record<string, unknown>;
      const authorization = call.metadata.get('authorization')[0];
      calls.push({ method, request, authorization: typeof authorization === 'string' ? authorization : undefined });
      for (const watcher of [...watchers]) watcher();
      Promise.resolve()
        .then(() => handler(request, call))
        .then(
          (reply) => callback(null, reply),
          (error: unknown) => callback(grpcStatusFromError(error, logger) as unknown as grpc.ServiceError),
        );
    };
  }

  const server = new grpc.Server();
  server.addService(loadProtos().jobs.Jobs.service as unknown as grpc.ServiceDefinition, implementation);
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );

  const fake: FakeJobsServer = {
    address: `127.0.0.1:${bound}`,
    calls,
    agent: { id: 'a-1', name: 'test-gpu', status: 'active', pausedReason: null },
    heartbeat: () => fake.agent,
    progress: () => ({ leaseMs: 30_000 }),
    complete: () => undefined,
    fail: () => undefined,
    offer(job) {
      offered.push(job);
      [...claimWaiters][0]?.();
    },
    callsOf: (method) => calls.filter((call) => call.method === method).map((call) => call.request),
    waitFor: (predicate) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (!predicate(calls)) return;
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
        check();
      }),
    close: async () => {
      for (const answer of [...claimWaiters]) answer();
      server.forceShutdown();
    },
  };
  return fake;
}
