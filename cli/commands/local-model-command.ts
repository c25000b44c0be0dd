import { join, resolve } from 'node:path';
import type { Logger } from '../../config/logger.ts';
import type { CommandInput, CommonOptions } from '../command.ts';

/** Exit status when Ctrl-C stops a command (128 + SIGINT). */
export const EXIT_INTERRUPTED = 130;

/** The abort signal of a long local command (imagine, train, eval). */
export interface Interruption {
  /** Aborts when the caller aborts the command or a shutdown signal (Ctrl-C) arrives. */
  readonly signal: AbortSignal;
  /** True when a shutdown signal, not the caller, stopped the command. */
  interrupted(): boolean;
  /** Stops listening; call once the command is done. */
  dispose(): void;
}

/** Listens for the caller's abort and for Ctrl-C, so a long command stops between steps. */
export function interruptible(input: CommandInput<CommonOptions>): Interruption {
  const abort = new AbortController();
  const stopOnParent = (): void => abort.abort(input.signal.reason);
  input.signal.addEventListener('abort', stopOnParent, { once: true });
  const unsubscribe = input.ctx.onShutdownSignal(() => abort.abort(new DOMException('interrupted', 'AbortError')));
  return {
    signal: abort.signal,
    interrupted: () => abort.signal.aborted && !input.signal.aborted,
    dispose: () => {
      unsubscribe();
      input.signal.removeEventListener('abort', stopOnParent);
    },
  };
}

/** Where built-in and LoRA-merged models are kept: `.teambooth/models` in the working directory. */
export function modelCacheRoot(cwd: string): string {
  return join(cwd, '.teambooth', 'models');
}

/**
 * The model directory a `--model` flag names: `tiny` is the built-in model (built once into the
 * cache), anything else a folder relative to `cwd`. The model builder loads only when needed.
 */
export async function resolveModelDirectory(model: string, cwd: string, logger: Logger, signal: AbortSignal): Promise<string> {
  if (model !== 'tiny') return resolve(cwd, model);
  const { ensureTinyModel } = await import('../../gpu-agent/tiny-model/index.ts');
  return ensureTinyModel(modelCacheRoot(cwd), { logger, signal });
}
