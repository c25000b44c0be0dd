import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Runs the real `teambooth` entry point (node bin/teambooth.js) in a child process. Nothing here
 * needs a running cluster: these are the paths that fail or finish before connecting.
 */
const BIN = resolve(import.meta.dirname, '..', 'bin', 'teambooth.js');

let cwd = '';
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'teambooth-cli-process-'));
});
afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

/** The environment of this process without any TEAMBOOTH_ variable, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('TEAMBOOTH_')) env[key] = value;
  return { ...env, ...extra };
}

function teambooth(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe.concurrent('teambooth (child process)', () => {
  it('--help lists the commands and exits 0', async () => {
    const result = await teambooth(['--help']);
    expect(result.code).toBe(0);
    for (const command of ['up', 'node', 'status', 'agents', 'cluster']) expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
    expect(result.stderr).toBe('');
  });

  it('status --help shows --servers, --json and the common options', async () => {
    const result = await teambooth(['status', '--help']);
    expect(result.code).toBe(0);
    for (const option of ['--servers <list>', '--json', '--config <file>', '--log-level <level>']) expect(result.stdout).toContain(option);
  });

  it('agents token create --help shows --name, --owner and --json', async () => {
    const result = await teambooth(['agents', 'token', 'create', '--help']);
    expect(result.code).toBe(0);
    for (const option of ['--name <name>', '--owner <owner>', '--servers <list>', '--json']) expect(result.stdout).toContain(option);
  });

  it('exits 2 with a one-line reason on usage errors', async () => {
    const missing = await teambooth(['agents', 'token', 'create']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: required option '--name <name>' not specified");
    const unknown = await teambooth(['status', '--verbose']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--verbose'");
    const badServers = await teambooth(['status', '--servers', 'nope']);
    expect(badServers.code).toBe(2);
    expect(badServers.stderr).toBe('config error: client.servers[0] (from --servers="nope") must be host:port, e.g. 127.0.0.1:7001 (got "nope")\n');
  });

  it('exits 1 on a bad environment value, naming the variable, without a stack trace', async () => {
    const result = await teambooth(['status'], { TEAMBOOTH_RAFT_TICK_MS: 'abc' });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('config error: node.raft.tickMs (from TEAMBOOTH_RAFT_TICK_MS="abc") must be a number\n');
    expect(result.stdout).toBe('');
  });

  it('up names a busy port and --base-port', async () => {
    const server: Server = createServer();
    await new Promise<void>((listening) => server.listen({ host: '127.0.0.1', port: 0 }, listening));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const result = await teambooth(['up', '--base-port', String(port), '--nodes', '1']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`port ${port} (127.0.0.1:${port}, for node n1) is already in use`);
      expect(result.stderr).toContain('--base-port');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((closed) => server.close(closed));
    }
  });
});
