import type { PngTextEntry } from './png-text-chunks.ts';

/** The settings an image was generated with, as stored in its PNG. */
export interface GenerationParameters {
  prompt: string;
  /** Omitted (or empty) when there was none. */
  negativePrompt?: string;
  steps: number;
  /** Scheduler kind (`ddim`, `euler`, `dpmpp-2m`). */
  scheduler: string;
  guidanceScale: number;
  seed: number;
  width: number;
  height: number;
  /** Model name, e.g. `teambooth-tiny`. */
  model: string;
}

/** Sampler names that AUTOMATIC1111's web UI prints for each scheduler kind. */
const SAMPLER_NAMES: Readonly<Record<string, string>> = { ddim: 'DDIM', euler: 'Euler', 'dpmpp-2m': 'DPM++ 2M' };

/** Keyword of the AUTOMATIC1111-style text chunk. */
export const PARAMETERS_KEYWORD = 'parameters';

/**
 * The settings as AUTOMATIC1111's `parameters` text, which image viewers and other Stable
 * Diffusion tools read: the prompt, then `Negative prompt: ...` (when there is one), then one line
 * `Steps: N, Sampler: S, CFG scale: G, Seed: N, Size: WxH, Model: M`. Values holding a comma,
 * colon or quote are written as JSON strings.
 */
export function formatGenerationParameters(params: GenerationParameters): string {
  const sampler = SAMPLER_NAMES[params.scheduler] ?? params.scheduler;
  const settings = [
    ['Steps', String(params.steps)],
    ['Sampler', sampler],
    ['CFG scale', String(params.guidanceScale)],
    ['Seed', String(params.seed)],
    ['Size', `${params.width}x${params.height}`],
    ['Model', params.model],
  ]
    .map(([key, value]) => `${key}: ${quoteIfNeeded(value ?? '')}`)
    .join(', ');
  const negative = params.negativePrompt === undefined || params.negativePrompt === '' ? '' : `Negative prompt: ${params.negativePrompt}\n`;
  return `${params.prompt}\n${negative}${settings}`;
}

/** The PNG text entries for an image: `parameters` (see {@link formatGenerationParameters}) and `Software`. */
export function generationTextEntries(params: GenerationParameters, software = 'teambooth'): PngTextEntry[] {
  return [
    { keyword: PARAMETERS_KEYWORD, text: formatGenerationParameters(params) },
    { keyword: 'Software', text: software },
  ];
}

/**
 * Reads text written by {@link formatGenerationParameters} back. Throws a RangeError naming what
 * is missing when the text lacks the settings line or one of its keys.
 */
export function parseGenerationParameters(text: string): GenerationParameters {
  const lines = text.split('\n');
  const settingsLine = lines.pop() ?? '';
  const settings = parseSettings(settingsLine);
  const negativeAt = lines.findIndex((line) => line.startsWith('Negative prompt: '));
  const promptLines = negativeAt < 0 ? lines : lines.slice(0, negativeAt);
  const negativeLines = negativeAt < 0 ? [] : lines.slice(negativeAt);
  const required = (key: string): string => {
    const value = settings.get(key);
    if (value === undefined) throw new RangeError(`generation parameters lack "${key}" in their settings line ${JSON.stringify(settingsLine)}`);
    return value;
  };
  const number = (key: string): number => {
    const value = Number(required(key));
    if (!Number.isFinite(value)) throw new RangeError(`generation parameter "${key}" is not a number: ${JSON.stringify(settings.get(key))}`);
    return value;
  };
  const size = /^(\d+)x(\d+)$/.exec(required('Size'));
  if (size === null) throw new RangeError(`generation parameter "Size" must be WxH (got ${JSON.stringify(settings.get('Size'))})`);
  const samplerName = required('Sampler');
  const scheduler = Object.entries(SAMPLER_NAMES).find(([, name]) => name === samplerName)?.[0] ?? samplerName;
  const negativePrompt = negativeLines.join('\n').slice('Negative prompt: '.length);
  return {
    prompt: promptLines.join('\n'),
    ...(negativeAt < 0 ? {} : { negativePrompt }),
    steps: number('Steps'),
    scheduler,
    guidanceScale: number('CFG scale'),
    seed: number('Seed'),
    width: Number(size[1]),
    height: Number(size[2]),
    model: required('Model'),
  };
}

function quoteIfNeeded(value: string): string {
  return /[,:"\n]/.test(value) ? JSON.stringify(value) : value;
}

/** `Key: value, Key: "quoted, value", ...` as a map. */
function parseSettings(line: string): Map<string, string> {
  const out = new Map<string, string>();
  const pattern = /\s*([^,:]+):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)/g;
  for (const match of line.matchAll(pattern)) {
    const key = (match[1] ?? '').trim();
    const raw = (match[2] ?? '').trim();
    out.set(key, raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  return out;
}
