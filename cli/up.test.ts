import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeCliContext, nodeStatus } from './fake-cli-context.ts';
import { peersOf, planLocalStack } from './local-stack.ts';
import { runCli } from './run-cli.ts';

let dir = '';
let ctx: FakeCliContext;
const servers: Server[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'teambooth-up-'));
  ctx = new FakeCliContext(dir);
  // The embedded S3 server that `up` runs takes a port the OS picks...
  ctx.env.TEAMBOOTH_S3_EMBEDDED_LISTEN = '127.0.0.1:0';
  // ...and its fake process listens there, as the real one would.
  const spawn = ctx.spawn.bind(ctx);
  ctx.spawn = (command, args, options) => {
    if (args[1] === 's3') {
      const listen = String((options.env as NodeJS.ProcessEnv).TEAMBOOTH_S3_EMBEDDED_LISTEN);
      const server = createServer((socket) => socket.destroy());
      servers.push(server);
      server.listen({ host: '127.0.0.1', port: Number(listen.split(':')[1]) });
    }
    return spawn(command, args, options);
  };
});

/** The child process `up` started as `teambooth COMMAND ...`. */
function child(command: string) {
  return ctx.children.find((c) => c.args[1] === command);
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

/** Binds 127.0.0.1 on a port the OS picks; keeps it bound until the test ends. */
async function occupiedPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A port the OS picked and released again. */
async function freePort(): Promise<number> {
  const port = await occupiedPort();
  const server = servers.pop();
  await new Promise((resolve) => server?.close(resolve));
  return port;
}

describe('planLocalStack', () => {
  it('plans n1..n3 on consecutive ports with data and logs under .teambooth/', () => {
    const specs = planLocalStack(7001, 3);
    expect(specs.map((spec) => [spec.id, spec.address])).toEqual([
      ['n1', '127.0.0.1:7001'],
      ['n2', '127.0.0.1:7002'],
      ['n3', '127.0.0.1:7003'],
    ]);
    expect(specs[1]?.dataDir).toBe(join('.teambooth', 'n2'));
    expect(specs[2]?.logFile).toBe(join('.teambooth', 'logs', 'n3.log'));
    expect(specs.map((spec) => spec.metricsAddress)).toEqual(['127.0.0.1:7201', '127.0.0.1:7202', '127.0.0.1:7203']);
    expect(peersOf(specs)).toBe('n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003');
  });
});

describe('teambooth up', () => {
  it('names a port in use and how to change it, and starts nothing', async () => {
    const port = await occupiedPort();
    expect(await runCli(['up', '--base-port', String(port), '--nodes', '1'], ctx)).toBe(1);
    expect(ctx.err).toContain(`error: port ${port} (127.0.0.1:${port}, for node n1) is already in use`);
    expect(ctx.err).toContain('--base-port');
    expect(ctx.children).toHaveLength(0);
  });

  it("names the playground's port when it is in use, and starts nothing", async () => {
    const [port, webPort] = [await freePort(), await occupiedPort()];
    expect(await runCli(['up', '--base-port', String(port), '--nodes', '1', '--web', String(webPort)], ctx)).toBe(1);
    expect(ctx.err).toContain(`error: port ${webPort} (for the web playground) is already in use`);
    expect(ctx.err).toContain(`teambooth up --web ${webPort + 1}`);
    expect(ctx.children).toHaveLength(0);
  });

  it('refuses bad --base-port and --nodes values as usage errors', async () => {
    expect(await runCli(['up', '--base-port', 'abc'], ctx)).toBe(2);
    expect(ctx.err).toContain('--base-port must be a whole number from 1 to 65325 (got "abc")');
    expect(await runCli(['up', '--nodes', '0'], ctx)).toBe(2);
    expect(ctx.children).toHaveLength(0);
  });

  it('starts the nodes as child processes, waits for a leader, says what to try, and stops them on Ctrl-C', async () => {
    const port = await freePort();
    let polls = 0;
    ctx.answers.statusAll = () => {
      polls += 1;
      // No leader on the first poll: an election is still running.
      const role = polls >= 2 ? 'leader' : 'follower';
      return [{ server: `127.0.0.1:${port}`, status: nodeStatus({ id: 'n1', role }) }];
    };
    // The cluster already has a model from an earlier run, so nothing is imported.
    ctx.answers.query = (query) => {
      const type = (query as { type: string }).type;
      return type === 'listModelVersions' ? { versions: [{ id: 'v1' }, { id: 'v2' }], currentVersion: 'v2' } : type === 'findAgentByTokenHash' ? null : undefined;
    };
    // No local agent yet: up registers one.
    ctx.answers.propose = (command) => ({ id: 'a-0011aa22', name: (command as { name: string }).name, status: 'active' });
    const write = ctx.stdout.write;
    ctx.stdout.write = (text: string) => {
      write(text);
      if (text.includes('Teambooth is up')) queueMicrotask(() => ctx.raise('SIGINT'));
    };
    const webPort = await freePort();
    expect(await runCli(['up', '--base-port', String(port), '--nodes', '1', '--web', String(webPort), '--log-level', 'debug'], ctx)).toBe(0);

    expect(ctx.children.map((c) => c.args[1])).toEqual(['s3', 'node', 'bot', 'agent']);
    expect(child('s3')?.args).toEqual([ctx.binPath, 's3', '--log-level', 'debug']);
    const node = child('node');
    expect(node?.command).toBe(ctx.execPath);
    expect(node?.args).toEqual([
      ctx.binPath,
      'node',
      '--id',
      'n1',
      '--listen',
      `127.0.0.1:${port}`,
      '--peers',
      `n1=127.0.0.1:${port}`,
      '--data-dir',
      join('.teambooth', 'n1'),
      '--metrics-listen',
      `127.0.0.1:${port + 200}`,
      '--log-level',
      'debug',
    ]);
    expect(node?.options).toMatchObject({ cwd: dir, detached: true });
    // The nodes are told where the embedded S3 server really listens.
    const s3Listen = (node?.options.env as NodeJS.ProcessEnv).TEAMBOOTH_S3_EMBEDDED_LISTEN ?? '';
    expect(s3Listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
    expect(ctx.out).toContain(`S3: http://${s3Listen} (photos, results, LoRAs and model versions`);
    expect(ctx.out).toContain('Model: v2 (2 versions; `teambooth model list`)');
    expect(node?.options.stdio).toContain('ipc');
    expect(node?.signals).toEqual(['SIGTERM']);
    expect(child('s3')?.signals).toEqual(['SIGTERM']);
    // The local CPU agent: its token in the environment (never in arguments) and kept for the next run.
    const agent = child('agent');
    expect(agent?.args).toEqual([ctx.binPath, 'agent', '--servers', `127.0.0.1:${port}`, '--cache-dir', join('.teambooth', 'agent-cache'), '--device', 'cpu', '--name', expect.stringMatching(/^local-cpu-[0-9a-f]{4}$/), '--metrics-listen', `127.0.0.1:${port + 210}`]);
    const agentToken = (agent?.options.env as NodeJS.ProcessEnv).TEAMBOOTH_AGENT_TOKEN ?? '';
    expect(agentToken).toMatch(/^tbat_/);
    expect(agent?.args.join(' ')).not.toContain(agentToken);
    expect((await readFile(join(dir, '.teambooth', 'agent-token'), 'utf8')).trim()).toBe(agentToken);
    expect(agent?.signals).toEqual(['SIGTERM']);
    // The web playground, on the port asked for.
    expect(child('bot')?.args).toEqual([ctx.binPath, 'bot', 'web', '--servers', `127.0.0.1:${port}`, '--port', String(webPort)]);
    expect(ctx.out).toContain(`Playground: http://127.0.0.1:${webPort}/ (a chat channel and the cluster's dashboard; log .teambooth/logs/web.log)`);
    expect(ctx.out).toContain(`Open http://127.0.0.1:${webPort}/ in a browser and type /imagine a red star on a blue background`);
    expect(ctx.out).toMatch(new RegExp(`\nAgent: local-cpu-[0-9a-f]{4} \\(a-0011aa22\\), the tiny model on the CPU; metrics http://127\\.0\\.0\\.1:${port + 210}/metrics; log \\.teambooth/logs/agent\\.log\n`));
    expect(ctx.out).toMatch(new RegExp(`n1\\s+127\\.0\\.0\\.1:${port}\\s+leader\\s+\\S+\\s+\\S+\\s+http://127\\.0\\.0\\.1:${port + 200}/metrics`));
    expect(ctx.out).toContain('Bots: none (set TEAMBOOTH_DISCORD_TOKEN or TEAMBOOTH_SLACK_BOT_TOKEN to start them; see the README)');
    expect(polls).toBe(2);

    expect(ctx.out).toContain('Teambooth is up: 1 node on this machine, n1 is the leader.');
    expect(ctx.out).toMatch(new RegExp(`n1\\s+127\\.0\\.0\\.1:${port}\\s+leader`));
    expect(ctx.out).toContain(`npx teambooth status --servers 127.0.0.1:${port}`);
    expect(ctx.out).toContain(`npx teambooth train test/fixtures/subjects/smiley/*.png --token zxq --class glyph --servers 127.0.0.1:${port}`);
    expect(ctx.out).toContain(`npx teambooth imagine "a red star on a blue background" --servers 127.0.0.1:${port} -o star.png   (a job for the agent)`);
    expect(ctx.out).toContain('Admin token: .teambooth');
    expect(ctx.out).toContain('Stopped. Data is kept in .teambooth/');
    expect(existsSync(join(dir, '.teambooth', 'admin-token'))).toBe(true);
    expect(existsSync(join(dir, '.teambooth', 'logs', 'n1.log'))).toBe(true);
  });

  it('reports a node that dies during startup with its log file and its error, and stops the rest quietly', async () => {
    const port = await freePort();
    ctx.answers.statusAll = () => {
      // What a node with a broken data dir writes before it exits.
      writeFileSync(join(dir, '.teambooth', 'logs', 'n1.log'), '{"level":30,"msg":"starting"}\nerror: .teambooth/n1/meta.json is not a valid data dir identity file\n');
      child('node')?.emit('exit', 1, null);
      return [];
    };
    expect(await runCli(['up', '--base-port', String(port), '--nodes', '1', '--no-web'], ctx)).toBe(1);
    expect(ctx.err).toContain(`node n1 exited with status 1; its log is ${join('.teambooth', 'logs', 'n1.log')}:\nerror: .teambooth/n1/meta.json is not a valid data dir identity file\n`);
    expect(ctx.err).toContain('error: a node stopped while the cluster was starting');
    // The S3 server stopped by `up` is not reported as a failure.
    expect(child('s3')?.signals).toEqual(['SIGTERM']);
    expect(ctx.err).not.toContain('s3 exited');
  });

  it('stops when the embedded S3 server cannot start, and says where its log is', async () => {
    const port = await freePort();
    // This S3 process exits at once and never listens.
    const spawn = FakeCliContext.prototype.spawn.bind(ctx);
    ctx.spawn = (command, args, options) => {
      const started = spawn(command, args, options);
      if (args[1] === 's3') queueMicrotask(() => started.emit('exit', 1, null));
      return started;
    };
    expect(await runCli(['up', '--base-port', String(port), '--nodes', '1', '--no-web'], ctx)).toBe(1);
    expect(ctx.err).toContain(`s3 exited with status 1; its log is ${join('.teambooth', 'logs', 's3.log')}`);
    expect(ctx.err).toContain(`error: the embedded S3 server did not start; see ${join('.teambooth', 'logs', 's3.log')}`);
    expect(child('node')?.signals).toEqual(['SIGTERM']);
  });

  it('gives up when no leader is elected in time, and stops the nodes', async () => {
    const port = await freePort();
    ctx.answers.statusAll = () => [{ server: `127.0.0.1:${port}`, status: nodeStatus({ id: 'n1', role: 'candidate' }) }];
    expect(await runCli(['up', '--base-port', String(port), '--nodes', '1', '--no-web'], ctx)).toBe(1);
    expect(ctx.err).toContain('error: no leader was elected within 30 s; see the logs in .teambooth/logs/');
    expect(child('node')?.signals).toEqual(['SIGTERM']);
  });
});
