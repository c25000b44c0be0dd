import { pino } from 'pino';
import { builtInModelSource, ModelHost } from '../model-host.ts';

/**
 * Test helper: the {@link ModelHost} `teambooth agent` uses (the built-in tiny model, built once
 * under `cacheDir/models`), on the CPU and with a silent logger.
 */
export function testModelHost(cacheDir: string): ModelHost {
  const logger = pino({ level: 'silent' });
  return new ModelHost({ source: builtInModelSource(cacheDir, logger), device: 'cpu', logger });
}
