/**
 * What merging does to subjects, in the tiny world: fine-tunes K fixture subjects once per merge
 * method (`sum`: standard LoRA; `orthogonal`: subject i on slot i of a seeded orthogonal basis, only
 * `up` trained) with the model's fine-tune defaults, merges them one after another into the base
 * model (`writeLoraMergedModel`, the arithmetic of the cluster's merge), and measures per subject
 * its fidelity in the fully merged model against its LoRA alone, the confusion between subjects,
 * the merged model's base drift, and the first subject's fidelity after 1..K merges with and
 * without retention ("keep last N"). Writes the "Merging subjects" section of docs/quality.md
 * (other sections stay as they are) and docs/images/merge-vanishing.png, and prints the figures.
 * Seeds are fixed, so a run is repeatable.
 *
 *   npm run bench:merge-quality -- [--subjects 7] [--seeds 6] [--drift-seeds 2] [--keep-last 3]
 *                                  [--basis-seed 1] [--steps 20] [--guidance 7.5] [--threads 2]
 *                                  [--out docs/quality.md] [--plot docs/images/merge-vanishing.png]
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { evaluationSubject, measurePromptFidelity, measureSubjectFidelity, pipelineImageSource, baseDrift } from '../gpu-agent/evaluation/index.ts';
import type { EvaluationSubject, Figure, ImageSource, PromptFidelity } from '../gpu-agent/evaluation/index.ts';
import { renderLinePlot, type LinePanel, type LineSeries } from '../gpu-agent/evaluation/line-plot.ts';
import { finalFidelity, heldKeptShare, keptShare, MERGE_SECTION_HEADING, mergeQualityGoal, renderMergeQualitySection, replaceMarkdownSection } from '../gpu-agent/evaluation/merge-quality-markdown.ts';
import type { MergeMethodName, MergeMethodResult, MergeQualityReport, MergeQualitySubject, MergeStep } from '../gpu-agent/evaluation/merge-quality-markdown.ts';
import { measureSubjectConfusion } from '../gpu-agent/evaluation/subject-confusion.ts';
import type { LoraWeights } from '../gpu-agent/lora/lora-weights.ts';
import { addLoraDelta } from '../gpu-agent/lora/merge-lora.ts';
import { writeLoraMergedModel } from '../gpu-agent/lora/write-lora-merged-model.ts';
import { loadStableDiffusionModel } from '../gpu-agent/pipeline/model-directory.ts';
import { createScheduler } from '../gpu-agent/schedulers/create-scheduler.ts';
import { ensureTinyModel } from '../gpu-agent/tiny-model/index.ts';
import { TinyWorldOracle } from '../gpu-agent/tiny-world/oracle.ts';
import { readSubjectFixtures } from '../gpu-agent/tiny-world/subject-fixtures.ts';
import { TINY_WORLD_WORDS } from '../gpu-agent/tokenizer/tiny-world-words.ts';
import { readTrainDefaults } from '../gpu-agent/training/train-defaults.ts';
import { trainDreamBoothLora } from '../gpu-agent/training/train-dreambooth-lora.ts';

const { values } = parseArgs({
  options: {
    subjects: { type: 'string', default: '7' },
    seeds: { type: 'string', default: '6' },
    'drift-seeds': { type: 'string', default: '2' },
    'keep-last': { type: 'string', default: '3' },
    'basis-seed': { type: 'string', default: '1' },
    steps: { type: 'string', default: '20' },
    guidance: { type: 'string', default: '7.5' },
    threads: { type: 'string', default: '2' },
    out: { type: 'string', default: 'docs/quality.md' },
    plot: { type: 'string', default: 'docs/images/merge-vanishing.png' },
  },
});
const whole = (name: string, text: string, min: number, max: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return n;
};
const seeds = whole('seeds', values.seeds, 1, 100);
const driftSeeds = whole('drift-seeds', values['drift-seeds'], 1, 100);
const keepLast = whole('keep-last', values['keep-last'], 1, 100);
const basisSeed = whole('basis-seed', values['basis-seed'], 0, 2 ** 32 - 1);
const sampling = { steps: whole('steps', values.steps, 1, 150), guidanceScale: Number(values.guidance) };
const threads = whole('threads', values.threads, 1, 64);
const outFile = resolve(values.out);
const plotFile = resolve(values.plot);
const METHODS: readonly MergeMethodName[] = ['sum', 'orthogonal'];

const logger = pino({ level: 'info' }, pino.destination(2));
const started = performance.now();
const work = await mkdtemp(join(tmpdir(), 'teambooth-merge-quality-'));
try {
  const modelDir = await ensureTinyModel(resolve('.teambooth', 'models'), { logger });
  const oracle = new TinyWorldOracle();
  const base = await loadStableDiffusionModel(modelDir, { device: 'cpu', logger, intraOpThreads: threads });
  const scheduler = createScheduler(undefined, base.schedulerConfig).kind;
  const fixturesRoot = resolve('test', 'fixtures', 'subjects');
  const all = await readSubjectFixtures(fixturesRoot);
  const fixtures = all.slice(0, whole('subjects', values.subjects, 2, all.length));
  // Tokens as the quality report gives them, so a subject has the same prompt in both sections.
  const subjects: EvaluationSubject[] = fixtures.map((f, i) =>
    evaluationSubject(oracle, { token: TINY_WORLD_WORDS.rareTokens[(i + 1) % TINY_WORLD_WORDS.rareTokens.length]!, classNoun: f.manifest.classNoun, photos: f.photos, colours: f.manifest.colours }),
  );
  const run = { seeds, oracle };
  const fidelityOf = async (source: ImageSource, which: readonly number[]): Promise<Map<number, Figure>> =>
    new Map(await mapSequential(which, async (i) => [i, (await measureSubjectFidelity(source, subjects[i]!, run)).similarity] as const));

  const baseSource = pipelineImageSource(base, sampling);
  const baseFidelity = await fidelityOf(baseSource, subjects.map((_, i) => i));
  const basePrompts = await measurePromptFidelity(baseSource, { seeds: driftSeeds, oracle });
  logger.info({ promptFidelity: basePrompts.all.value }, 'base model measured');

  const defaults = await readTrainDefaults(modelDir);
  const training = { ...defaults, alpha: defaults.rank };
  const trained = new Map<MergeMethodName, { loras: LoraWeights[]; seconds: number[]; losses: number[]; norms: number[] }>();
  for (const method of METHODS) {
    const out = { loras: [] as LoraWeights[], seconds: [] as number[], losses: [] as number[], norms: [] as number[] };
    for (const [i, fixture] of fixtures.entries()) {
      const images = await Promise.all(fixture.manifest.photos.map(async (photo) => ({ name: photo.file, data: new Uint8Array(await readFile(join(fixturesRoot, fixture.manifest.name, photo.file))) })));
      const request = { images, token: subjects[i]!.token, classWord: subjects[i]!.classNoun, ...training, seed: i, flip: false, ...(method === 'orthogonal' ? { orthogonalSlot: { basisSeed, slot: i } } : {}) };
      const result = await trainDreamBoothLora(base, request, { logger, intraOpThreads: threads, workDir: work });
      out.loras.push(result.lora);
      out.seconds.push(result.timings.trainMs / 1000);
      out.losses.push(result.finalLoss);
      out.norms.push(deltaNorm(result.lora));
      logger.info({ method, subject: fixture.manifest.name, trainSeconds: Math.round(result.timings.trainMs / 100) / 10, finalLoss: result.finalLoss }, 'fine-tuned');
    }
    trained.set(method, out);
  }
  await base.release();

  let built = 0;
  /** A model directory holding `loras` merged one after another, starting from `from` (default the base). */
  const mergeChain = async (loras: readonly LoraWeights[], from = modelDir): Promise<string> => {
    let dir = from;
    for (const lora of loras) {
      const next = join(work, `model-${++built}`);
      await writeLoraMergedModel(dir, lora, next);
      if (dir !== from && dir !== modelDir) await rm(dir, { recursive: true, force: true });
      dir = next;
    }
    return dir;
  };
  const withModel = async <T>(dir: string, use: (source: ImageSource) => Promise<T>): Promise<T> => {
    const model = await loadStableDiffusionModel(dir, { device: 'cpu', logger, intraOpThreads: threads });
    try {
      return await use(pipelineImageSource(model, sampling));
    } finally {
      await model.release();
    }
  };

  const results: MergeMethodResult[] = [];
  for (const method of METHODS) {
    const { loras, seconds, losses, norms } = trained.get(method)!;
    const K = loras.length;
    const cumulative: MergeStep[] = [];
    const retained: MergeStep[] = [];
    let confusion: MergeMethodResult['confusion'] | undefined;
    let merged: PromptFidelity | undefined;
    let dir = modelDir;
    for (let k = 1; k <= K; k++) {
      const previous = dir;
      dir = await mergeChain([loras[k - 1]!], dir);
      if (previous !== modelDir) await rm(previous, { recursive: true, force: true });
      const holds = range(0, k);
      const step = await withModel(dir, async (source) => {
        if (k < K) return { merged: k, holds, fidelity: await fidelityOf(source, holds) };
        const cached = caching(source);
        const fidelity = await fidelityOf(cached, holds);
        confusion = await measureSubjectConfusion(cached, subjects, run);
        merged = await measurePromptFidelity(cached, { seeds: driftSeeds, oracle });
        return { merged: k, holds, fidelity };
      });
      cumulative.push(step);
      if (k <= keepLast) {
        retained.push(step);
      } else {
        const kept = range(k - keepLast, k);
        const retainedDir = await mergeChain(kept.map((i) => loras[i]!));
        retained.push({ merged: k, holds: kept, fidelity: await withModel(retainedDir, (source) => fidelityOf(source, [0, ...kept])) });
        await rm(retainedDir, { recursive: true, force: true });
      }
      logger.info({ method, merges: k, first: cumulative[k - 1]!.fidelity.get(0)!.value, firstRetained: retained[k - 1]!.fidelity.get(0)!.value }, 'merge step measured');
    }
    await rm(dir, { recursive: true, force: true });
    // Solo fidelity: each LoRA alone on the base (the first subject's is the model after one merge).
    const solo: Figure[] = [cumulative[0]!.fidelity.get(0)!];
    for (let i = 1; i < K; i++) {
      const soloDir = await mergeChain([loras[i]!]);
      solo.push((await withModel(soloDir, (source) => fidelityOf(source, [i]))).get(i)!);
      await rm(soloDir, { recursive: true, force: true });
    }
    results.push({ method, solo, trainSeconds: seconds, finalLoss: losses, deltaNorms: norms, cumulative, retained, confusion: confusion!, drift: baseDrift(basePrompts, merged!) });
  }

  const argv = process.argv.slice(2);
  const report: MergeQualityReport = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpus().length}-core ${cpus()[0]?.model ?? 'unknown CPU'} VM, ONNX Runtime on the CPU, ${threads} threads (the machine was shared)`,
    command: `npm run bench:merge-quality${argv.length === 0 ? '' : ` -- ${argv.join(' ')}`}`,
    runtimeSeconds: 0,
    sampling: { seeds, driftSeeds, steps: sampling.steps, guidance: sampling.guidanceScale, scheduler },
    training: { ...training, basisSeed },
    keepLast,
    subjects: fixtures.map((f, i): MergeQualitySubject => ({ name: f.manifest.name, token: subjects[i]!.token, classNoun: subjects[i]!.classNoun, prompt: `a photo of ${subjects[i]!.token} ${subjects[i]!.classNoun}`, baseFidelity: baseFidelity.get(i)! })),
    methods: results,
    plotFile: relative(dirname(outFile), plotFile),
  };
  await mkdir(dirname(plotFile), { recursive: true });
  await writeFile(plotFile, await renderLinePlot(vanishingPanels(report)));
  report.runtimeSeconds = (performance.now() - started) / 1000;
  const current = await readFile(outFile, 'utf8').catch(() => '');
  await writeFile(outFile, replaceMarkdownSection(current, MERGE_SECTION_HEADING, renderMergeQualitySection(report)));
  printSummary(report);
  console.log(`wrote the "${MERGE_SECTION_HEADING.slice(3)}" section of ${relative(process.cwd(), outFile)} and ${relative(process.cwd(), plotFile)} in ${report.runtimeSeconds.toFixed(0)} s`);
} finally {
  await rm(work, { recursive: true, force: true });
}

/** Frobenius norm of a LoRA's weight delta `(alpha/rank) up down`, over all its layers. */
function deltaNorm(lora: LoraWeights): number {
  let squares = 0;
  for (const layer of lora.layers) {
    const delta = new Float32Array(layer.outFeatures * layer.inFeatures);
    addLoraDelta(delta, 'out-in', layer);
    for (const v of delta) squares += v * v;
  }
  return Math.sqrt(squares);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

async function mapSequential<T, R>(items: readonly T[], each: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (const item of items) out.push(await each(item));
  return out;
}

/** A source that generates each (prompt, seed) once: the fully merged model's fidelity and confusion share their images. */
function caching(source: ImageSource): ImageSource {
  const images = new Map<string, ReturnType<ImageSource>>();
  return (request, signal) => {
    const key = `${request.seed}\0${request.prompt}`;
    if (!images.has(key)) images.set(key, source(request, signal));
    return images.get(key)!;
  };
}

/** The two panels of the plot: the first subject's share of its solo fidelity, and the held subjects' mean kept share, after each merge. */
function vanishingPanels(report: MergeQualityReport): LinePanel[] {
  const colours: Record<MergeMethodName, string> = { sum: '#1f77b4', orthogonal: '#d62728' };
  const K = report.subjects.length;
  const series = (value: (m: MergeMethodResult, step: MergeStep) => number): LineSeries[] =>
    report.methods.flatMap((m) => [
      { name: m.method, colour: colours[m.method], points: m.cumulative.map((s) => ({ x: s.merged, y: value(m, s) })) },
      { name: `${m.method}, keep last ${report.keepLast}`, colour: colours[m.method], dashed: true, points: m.retained.map((s) => ({ x: s.merged, y: value(m, s) })) },
    ]);
  const shares = report.methods.flatMap((m) => [...m.cumulative, ...m.retained].flatMap((s) => [s.fidelity.get(0)!.value / m.solo[0]!.value, heldKeptShare(m, s)]));
  const top = Math.max(1.2, Math.ceil(Math.max(...shares) * 5) / 5);
  const common = {
    xLabel: 'subjects merged',
    xTicks: range(1, K + 1),
    yRange: [0, top] as const,
    yTicks: range(0, Math.round(top * 5) + 1).map((i) => i / 5),
    yFormat: (y: number) => `${Math.round(100 * y)} %`,
    guides: [{ y: 0.9, label: '90 % goal' }],
  };
  return [
    { ...common, title: `First subject (${report.subjects[0]!.name}): share of solo fidelity`, yLabel: 'fidelity / solo fidelity', series: series((m, s) => s.fidelity.get(0)!.value / m.solo[0]!.value) },
    { ...common, title: 'Subjects the model holds: mean kept share', yLabel: 'mean fidelity / solo fidelity', series: series(heldKeptShare) },
  ];
}

function printSummary(report: MergeQualityReport): void {
  const [sum, orthogonal] = [report.methods.find((m) => m.method === 'sum')!, report.methods.find((m) => m.method === 'orthogonal')!];
  const f = (x: number): string => x.toFixed(3).padStart(7);
  const p = (x: number): string => `${(100 * x).toFixed(1)}%`.padStart(7);
  console.log(`after all ${report.subjects.length} merges (fidelity: mean subject similarity over ${report.sampling.seeds} images)`);
  console.log(`${'subject'.padEnd(14)} ${'base'.padStart(7)} | ${'sum solo'.padStart(8)} ${'merged'.padStart(7)} ${'kept'.padStart(7)} | ${'orth solo'.padStart(9)} ${'merged'.padStart(7)} ${'kept'.padStart(7)} | orth/sum`);
  report.subjects.forEach((s, i) => {
    const [sm, om] = [finalFidelity(sum, i).value, finalFidelity(orthogonal, i).value];
    console.log(`${s.name.padEnd(14)} ${f(s.baseFidelity.value)} | ${f(sum.solo[i]!.value).padStart(8)} ${f(sm)} ${p(keptShare(sum, i))} | ${f(orthogonal.solo[i]!.value).padStart(9)} ${f(om)} ${p(keptShare(orthogonal, i))} | ${(om / sm).toFixed(3)}`);
  });
  for (const m of report.methods) {
    const diagonal = m.confusion.counts.reduce((n, row, i) => n + row[i]!, 0);
    console.log(`${m.method}: confusion diagonal ${diagonal}/${report.subjects.length * m.confusion.images}; base drift ${(100 * m.drift.drift.value).toFixed(1)} points; first subject after 1..K merges ${m.cumulative.map((s) => s.fidelity.get(0)!.value.toFixed(3)).join(' ')}; keep last ${report.keepLast}: ${m.retained.map((s) => s.fidelity.get(0)!.value.toFixed(3)).join(' ')}`);
  }
  const goal = mergeQualityGoal(report);
  console.log(`goal ${goal.met ? 'MET' : 'NOT met'}: ${goal.text}`);
}
