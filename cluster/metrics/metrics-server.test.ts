import { createServer } from 'node:net';
import { Counter } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';
import { sampleValue, scrape } from './testing/scrape.ts';

const started: MetricsServer[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) await server.stop();
});

async function start(listen = '127.0.0.1:0'): Promise<MetricsServer> {
  const server = await startMetricsServer({ listen });
  started.push(server);
  return server;
}

describe('startMetricsServer', () => {
  it('serves its registry in the Prometheus text format at GET /metrics, process metrics included', async () => {
    const server = await start();
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(server.address).not.toBe('127.0.0.1:0');
    expect(server.url).toBe(`http://${server.address}/metrics`);
    new Counter({ name: 'teambooth_test_events_total', help: 'Events seen by the test.', registers: [server.registry] }).inc(3);

    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('# HELP teambooth_test_events_total Events seen by the test.\n# TYPE teambooth_test_events_total counter\nteambooth_test_events_total 3\n');
    expect(sampleValue(text, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  it('answers 404 on any other path and 405 to other methods', async () => {
    const server = await start();
    const base = `http://${server.address}`;
    for (const path of ['/', '/metrics/', '/metricsx', '/health']) expect((await fetch(base + path)).status, path).toBe(404);
    expect((await fetch(`${base}/metrics?name[]=x`)).status).toBe(200);
    const post = await fetch(server.url, { method: 'POST', body: '' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('gives each server its own registry, so two in one process export the same names independently', async () => {
    const a = await start();
    const b = await start();
    const counters = [a, b].map((server) => new Counter({ name: 'teambooth_test_jobs_total', help: 'Jobs.', registers: [server.registry] }));
    counters[0]!.inc(5);
    counters[1]!.inc(2);
    expect(sampleValue(await scrape(a.url), 'teambooth_test_jobs_total')).toBe(5);
    expect(sampleValue(await scrape(b.url), 'teambooth_test_jobs_total')).toBe(2);
  });

  it('refuses a bad address and a port in use, naming them', async () => {
    await expect(startMetricsServer({ listen: 'localhost' })).rejects.toThrow(
      'cannot serve metrics on "localhost": it must be host:port, e.g. 127.0.0.1:7001 (got "localhost")',
    );
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      await expect(startMetricsServer({ listen: `127.0.0.1:${port}`, processMetrics: false })).rejects.toThrow(
        `cannot serve metrics on 127.0.0.1:${port}: the address is already in use (pick another metrics port)`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
