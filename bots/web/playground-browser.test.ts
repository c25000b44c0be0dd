import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The quick start in a real browser: `teambooth up` (what `npm start` runs) as its own process
 * with its nodes, S3 server, CPU agent and playground, driven through headless Chromium. A member
 * draws an image, trains the fixture subject into a new model version, draws it from that
 * version, and watches the dashboard move the leader when the leading node is killed.
 *
 * Chromium comes from Debian (`.ci/run` installs it); TEAMBOOTH_CHROMIUM names another binary.
 */

const REPO = resolve(import.meta.dirname, '../..');
const CHROMIUM = [process.env.TEAMBOOTH_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => path !== undefined && path !== '' && existsSync(path));
const PHOTOS = resolve(REPO, 'test/fixtures/subjects/smiley');
/** Flags for a headless Chromium on a machine without a network or a display. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let dir = '';
let up: ChildProcess | undefined;
let output = '';
let browser: Browser | undefined;
let page: Page;
let url = '';
let basePort = 0;

/**
 * A port the OS picked that can be `up`'s base port: free along with the `count - 1` after it
 * (the nodes) and the metrics ports 200 above them and 210 above it (the agent).
 */
async function freeBasePort(count: number): Promise<number> {
  for (;;) {
    const first = await bindable(0);
    const wanted = [...Array.from({ length: count }, (_, i) => [first + i, first + 200 + i]).flat(), first + 210].filter((port) => port !== first);
    let ok = first + 210 < 65536;
    for (const port of wanted) ok = ok && (await bindable(port)) === port;
    if (ok) return first;
  }
}

function bindable(port: number): Promise<number> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(-1));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => done(bound));
    });
  });
}

/** Where screenshots go: TEST_SCREENSHOT_DIR to keep them, else the test's own directory. */
function screenshots(): string {
  return process.env.TEST_SCREENSHOT_DIR ?? dir;
}

/** Waits until `up` prints `text`, or fails with what it printed. */
async function upPrinted(text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!output.includes(text)) {
    if (Date.now() > deadline || up?.exitCode !== null) throw new Error(`teambooth up did not print "${text}"; it printed:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The pid of node `id` of the stack in `dir` (its command line names its data dir; its working dir is `dir`). */
async function nodePid(id: string): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [cmdline, cwd] = await Promise.all([readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => ''), readlink(`/proc/${entry}/cwd`).catch(() => '')]);
    if (cwd === dir && cmdline.split('\0').join(' ').includes(`node --id ${id} `)) return Number(entry);
  }
  throw new Error(`no process of node ${id} under ${dir}`);
}

/** Sends a line (and photos) from the composer, as a member types it. */
async function send(text: string, photos: string[] = []): Promise<void> {
  if (photos.length > 0) await page.setInputFiles('#composer-files', photos);
  await page.fill('#composer-text', text);
  await page.click('#send');
  await page.waitForFunction("document.querySelector('#composer-text').value === ''");
}

/** The bot's message whose text matches `pattern`. */
function botMessage(pattern: RegExp) {
  return page.locator('li.message.bot').filter({ has: page.locator('.text', { hasText: pattern }) });
}

/** The result image of a message, as the browser shows it, and as the playground serves it: they must be the same picture. */
async function checkShownImage(message: ReturnType<typeof botMessage>): Promise<{ mean: number[]; spread: number }> {
  const img = message.locator('img.result-image').first();
  await expect.poll(() => img.evaluate((el: { complete: boolean; naturalWidth: number }) => el.complete && el.naturalWidth > 0)).toBe(true);
  const shot = await img.screenshot();
  const source = Buffer.from(await (await page.request.get(new URL((await img.getAttribute('src'))!, url).toString())).body());
  const size = (await sharp(source).metadata()).width!;
  // The page scales the image up without smoothing, so the screenshot scaled back matches it pixel for pixel (up to the border).
  const [shown, served] = await Promise.all([
    sharp(shot).resize(size, size, { kernel: 'nearest' }).removeAlpha().raw().toBuffer(),
    sharp(source).removeAlpha().raw().toBuffer(),
  ]);
  let diff = 0;
  for (let i = 0; i < served.length; i++) diff += Math.abs(shown[i]! - served[i]!);
  expect(diff / served.length).toBeLessThan(12);
  const stats = await sharp(source).stats();
  return { mean: stats.channels.slice(0, 3).map((c) => c.mean), spread: Math.max(...stats.channels.slice(0, 3).map((c) => c.stdev)) };
}

beforeAll(async () => {
  if (CHROMIUM === undefined) return;
  dir = await mkdtemp(join(tmpdir(), 'teambooth-playground-'));
  basePort = await freeBasePort(3);
  const webPort = await bindable(0);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('TEAMBOOTH_')));
  up = spawn(process.execPath, [join(REPO, 'bin/teambooth.js'), 'up', '--base-port', String(basePort), '--web', String(webPort)], {
    cwd: dir,
    env: { ...env, TEAMBOOTH_S3_EMBEDDED_LISTEN: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  up.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  up.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = Date.now();
  await upPrinted('Teambooth is up', 60_000);
  url = `http://127.0.0.1:${webPort}/`;
  expect(output).toContain(`Playground: ${url}`);
  // `npm start` must be up in under a minute on this machine.
  expect(Date.now() - started).toBeLessThan(60_000);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.locator('#connection.ok').waitFor({ timeout: 20_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (up !== undefined && up.exitCode === null) {
    const exited = new Promise((done) => up!.once('exit', done));
    up.kill('SIGINT');
    await exited;
  }
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe.skipIf(CHROMIUM === undefined && process.env.CI === undefined)('the playground in Chromium, on the stack `npm start` runs', { timeout: 240_000 }, () => {
  it('draws an image, trains the fixture subject into v2, then draws it from v2', async () => {
    expect(CHROMIUM, 'Chromium is not installed: apt-get install chromium (or set TEAMBOOTH_CHROMIUM)').toBeDefined();
    // The dashboard: three nodes, one leader, the tiny model as v1, the local agent online.
    await page.locator('#nodes tbody tr').nth(2).waitFor();
    expect(await page.locator('#nodes tbody tr.leader').count()).toBe(1);
    await page.locator('#versions li.current[data-version="v1"]').waitFor();
    await page.locator('#agents li.online').waitFor({ timeout: 30_000 });

    await send('/imagine a red star on a blue background --seed 3 --steps 8');
    const star = botMessage(/a red star on a blue background · seed 3 · 8 steps · 64x64 · model v1/);
    await star.waitFor({ timeout: 60_000 });
    const drawn = await checkShownImage(star);
    expect(drawn.spread).toBeGreaterThan(5);
    expect(await star.locator('.buttons button').allTextContents()).toEqual(['Reroll', 'Variations', 'Parameters', 'Delete']);
    await page.screenshot({ path: join(screenshots(), 'imagine.png') });

    const photos = (await readdir(PHOTOS)).filter((name) => name.endsWith('.png')).map((name) => join(PHOTOS, name));
    await send('/train zxq glyph', photos);
    await page.locator('li.message .attachments', { hasText: 'photo-1.png' }).waitFor();
    await botMessage(/trained zxq glyph into the shared model \(v2\)/).waitFor({ timeout: 180_000 });
    await page.locator('#versions li.current[data-version="v2"]', { hasText: 'zxq' }).waitFor({ timeout: 10_000 });

    await send('/imagine a photo of zxq glyph --seed 3 --steps 8');
    const subject = botMessage(/a photo of zxq glyph · seed 3 · 8 steps · 64x64 · model v2/);
    await subject.waitFor({ timeout: 60_000 });
    expect((await checkShownImage(subject)).spread).toBeGreaterThan(5);
    // What Prometheus would scrape: the leader's view of the cluster, and the agent's jobs.
    const nodeMetrics = await (await fetch(`http://127.0.0.1:${basePort + 200}/metrics`)).text();
    expect(nodeMetrics).toMatch(/^teambooth_raft_term [1-9]/m);
    expect(nodeMetrics).toMatch(/^teambooth_agents_online 1$/m);
    const agentMetrics = await (await fetch(`http://127.0.0.1:${basePort + 210}/metrics`)).text();
    expect(agentMetrics).toContain('teambooth_agent_jobs_total{kind="train",outcome="succeeded"} 1');
    expect(agentMetrics).toContain('teambooth_agent_jobs_total{kind="imagine",outcome="succeeded"} 2');
    await page.screenshot({ path: join(screenshots(), 'trained.png') });
  });

  it('shows a killed node as down and the leader moving to another node', async () => {
    const leaderRow = page.locator('#nodes tbody tr.leader');
    const leader = (await leaderRow.locator('td').first().textContent())!;
    process.kill(await nodePid(leader), 'SIGKILL');
    await page.locator('#nodes tbody tr.down', { hasText: leader }).waitFor({ timeout: 20_000 });
    await page.locator('#nodes tbody tr.leader td:first-child').filter({ hasNotText: leader }).waitFor({ timeout: 30_000 });
    expect(await page.locator('#nodes tbody tr.down').count()).toBe(1);
    expect(await page.locator('#leader').textContent()).not.toBe(`leader ${leader}`);
    await page.screenshot({ path: join(screenshots(), 'leader-moved.png') });
  });
});
