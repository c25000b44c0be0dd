import cliProgress from 'cli-progress';
import type { TextSink } from '../context.ts';

/** What `imagine` (and a cluster job the CLI follows) reports while it works. */
export interface ImagineProgress {
  /** The model is being loaded. */
  loading(model: string): void;
  /** One line of status in place of the bar, e.g. a cluster job's place in the queue; the next `step` starts a new bar. */
  status(text: string): void;
  /** `step` of `steps` steps are done; `detail` follows the count (e.g. the training loss). */
  step(step: number, steps: number, detail?: string): void;
  /** Removes the bar (idempotent). */
  stop(): void;
}

/**
 * A progress bar on standard error when it is a terminal (cli-progress, cleared when done), and
 * nothing at all otherwise, so pipes, files and `--json` consumers see no control characters.
 * `label` starts the bar's line (default `imagine`).
 */
export function startImagineProgress(stderr: TextSink, label = 'imagine'): ImagineProgress {
  const stream = stderr as TextSink & Partial<NodeJS.WriteStream>;
  if (stream.isTTY !== true) return { loading: () => undefined, status: () => undefined, step: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  const clearLine = (): void => void stderr.write('\r\x1b[2K');
  return {
    loading(model) {
      if (!stopped) stderr.write(`loading ${model}...`);
    },
    status(text) {
      if (stopped) return;
      // A bar clears its own line when stopped (clearOnComplete).
      if (bar === undefined) clearLine();
      bar?.stop();
      bar = undefined;
      stderr.write(text);
    },
    step(step, steps, detail = '') {
      if (stopped) return;
      if (bar === undefined) {
        clearLine(); // the loading or status line
        bar = new cliProgress.SingleBar(
          {
            format: `${label} [{bar}] {value}/{total} steps{detail} | {duration_formatted} elapsed, eta {eta_formatted}`,
            stream: stream as NodeJS.WriteStream,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(steps, 0, { detail });
      }
      bar.update(step, { detail });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (bar === undefined) clearLine();
      bar?.stop();
    },
  };
}
