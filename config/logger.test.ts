import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import type { LogLevel } from './schema.ts';

function capture(level: LogLevel = 'info') {
  const lines: string[] = [];
  const logger = createLogger({ level, destination: { write: (text: string) => void lines.push(text) } });
  return { logger, lines, output: () => lines.join('') };
}

const SECRETS = ['tbat_AAAABBBBCCCCDDDDEEEE', 'admin-secret-0001', 'bearer-secret-0002', 's3-secret-0003', 'nested-secret-0004', 'child-secret-0005'];

describe('createLogger', () => {
  it('never shows a token in a logged object, at any usual depth', () => {
    const { logger, output } = capture();
    const request = {
      token: SECRETS[0],
      config: { adminToken: SECRETS[1] },
      headers: { authorization: `Bearer ${SECRETS[2]}` },
      s3: { secretAccessKey: SECRETS[3] },
      agents: [{ name: 'gpu-box', token: SECRETS[4] }],
    };
    logger.info(request, 'registering an agent');
    const text = output();
    for (const secret of SECRETS.slice(0, 5)) expect(text).not.toContain(secret);
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(line).toMatchObject({
      token: '[redacted]',
      config: { adminToken: '[redacted]' },
      headers: { authorization: '[redacted]' },
      s3: { secretAccessKey: '[redacted]' },
      agents: [{ name: 'gpu-box', token: '[redacted]' }],
      msg: 'registering an agent',
    });
    // The caller's object is left intact.
    expect(request.token).toBe(SECRETS[0]);
  });

  it('redacts secrets bound to child loggers and keeps the component fields', () => {
    const { logger, output } = capture();
    logger.child({ component: 'raft', nodeId: 'n1', adminToken: SECRETS[5] }).warn('slow fsync');
    const line = JSON.parse(output()) as Record<string, unknown>;
    expect(line).toMatchObject({ component: 'raft', nodeId: 'n1', adminToken: '[redacted]', msg: 'slow fsync' });
    expect(output()).not.toContain(SECRETS[5]);
  });

  it('scrubs agent tokens and bearer credentials out of message text', () => {
    const { logger, output } = capture();
    logger.info('agent presented %s with header Bearer abcdefghijklmnop', SECRETS[0]);
    expect(output()).not.toContain(SECRETS[0]);
    expect(output()).not.toContain('abcdefghijklmnop');
    expect(JSON.parse(output()).msg).toBe('agent presented [redacted] with header Bearer [redacted]');
  });

  it('scrubs Slack tokens out of message text', () => {
    const { logger, output } = capture();
    logger.warn('slack refused xoxb-1234567890-abcdefghij and xapp-1-A0B1C2-3456-abcdef');
    expect(JSON.parse(output()).msg).toBe('slack refused [redacted] and [redacted]');
  });

  it('logs at the configured level', () => {
    const { logger, lines } = capture('warn');
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}').msg).toBe('shown');
  });
});

describe('createLogger and S3', () => {
  it('redacts S3 credentials in a logged config and presigned-URL signatures in text', () => {
    const { logger, output } = capture();
    const signature = 'f'.repeat(64);
    logger.info({ config: { s3: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI' } }, presignedUrl: `http://s3/x?X-Amz-Signature=${signature}` }, 'config');
    logger.info('handing out %s', `http://127.0.0.1:7100/teambooth/results/j-1/a.png?X-Amz-Expires=600&X-Amz-Signature=${signature}`);
    expect(output()).not.toContain('wJalrXUtnFEMI');
    expect(output()).not.toContain(signature);
    expect(output()).toContain('X-Amz-Signature=[redacted]');
  });
});
