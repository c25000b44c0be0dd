import cliProgress from 'cli-progress';
import type { TextSink } from '../context.ts';

/** What `imagine` reports while it works. */
export interface ImagineProgress {
  /** The model is being loaded. */
  loading(model: string): void;
  /** `step` of `steps` denoising steps are done. */
  step(step: number, steps: number): void;
  /** Removes the bar (idempotent). */
  stop(): void;
}

/**
 * A progress bar on standard error when it is a terminal (cli-progress, cleared when done), and
 * nothing at all otherwise, so pipes, files and `--json` consumers see no control characters.
 */
export function startImagineProgress(stderr: TextSink): ImagineProgress {
  const stream = stderr as TextSink & Partial<NodeJS.WriteStream>;
  if (stream.isTTY !== true) return { loading: () => undefined, step: () => undefined, stop: () => undefined };
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  return {
    loading(model) {
      if (!stopped) stderr.write(`loading ${model}...`);
    },
    step(step, steps) {
      if (stopped) return;
      if (bar === undefined) {
        stderr.write('\r\x1b[2K'); // clear the loading line
        bar = new cliProgress.SingleBar(
          {
            format: 'imagine [{bar}] {value}/{total} steps | {duration_formatted} elapsed, eta {eta_formatted}',
            stream: stream as NodeJS.WriteStream,
            hideCursor: true,
            clearOnComplete: true,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(steps, 0);
      }
      bar.update(step);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (bar === undefined) stderr.write('\r\x1b[2K');
      bar?.stop();
    },
  };
}
