/**
 * The tiny world's quality report: measures the base model's prompt fidelity, fine-tunes one LoRA
 * per fixture subject with `teambooth train`'s defaults, measures subject fidelity (against the
 * base model on the same prompt), context fidelity and base drift, and writes docs/quality.md and
 * docs/quality-grid.png. Every image comes from seeds 0..N-1, so a run is repeatable.
 *
 *   npm run quality:report -- [--subjects smiley,key] [--seeds 4] [--steps 20] [--guidance 7.5]
 *                             [--threads 2] [--out docs] [--weights FILE] [--note TEXT]
 *
 * `--weights FILE` evaluates a weights file (e.g. a training checkpoint) instead of the committed
 * weights that `ensureTinyModel` uses; `--note` adds a line to the report.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { composeImageGrid, contextBackgrounds, evaluateModel, evaluationSubject, measureModelAutoencoderFidelity, measurePromptFidelity, pipelineImageSource, renderQualityMarkdown, subjectPrompt, contextPrompt, qualityTargets } from '../gpu-agent/evaluation/index.ts';
import type { ImageSource, QualityReport, QualitySubjectResult } from '../gpu-agent/evaluation/index.ts';
import type { RgbImage } from '../gpu-agent/image/rgb-image.ts';
import { encodePng } from '../gpu-agent/image/png.ts';
import { writeLoraMergedModel } from '../gpu-agent/lora/write-lora-merged-model.ts';
import { loadStableDiffusionModel } from '../gpu-agent/pipeline/model-directory.ts';
import { readTrainDefaults } from '../gpu-agent/training/train-defaults.ts';
import { createScheduler } from '../gpu-agent/schedulers/create-scheduler.ts';
import { ensureTinyModel, parseTrainedWeights, TINY_MODEL_SUMMARY_FILE, writeTinyModel } from '../gpu-agent/tiny-model/index.ts';
import type { TinyModelSummary } from '../gpu-agent/tiny-model/index.ts';
import { evaluationPrompts } from '../gpu-agent/tiny-world/evaluation-prompts.ts';
import { TinyWorldOracle } from '../gpu-agent/tiny-world/oracle.ts';
import { readSubjectFixtures } from '../gpu-agent/tiny-world/subject-fixtures.ts';
import { TINY_WORLD_WORDS } from '../gpu-agent/tokenizer/tiny-world-words.ts';
import { trainDreamBoothLora } from '../gpu-agent/training/train-dreambooth-lora.ts';

const { values } = parseArgs({
  options: {
    subjects: { type: 'string' },
    seeds: { type: 'string', default: '4' },
    steps: { type: 'string', default: '20' },
    guidance: { type: 'string', default: '7.5' },
    threads: { type: 'string', default: '2' },
    out: { type: 'string', default: 'docs' },
    weights: { type: 'string' },
    note: { type: 'string', multiple: true },
  },
});
const whole = (name: string, text: string, min: number, max: number): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return n;
};
const seeds = whole('seeds', values.seeds, 1, 100);
const sampling = { steps: whole('steps', values.steps, 1, 150), guidanceScale: Number(values.guidance) };
const threads = whole('threads', values.threads, 1, 64);
const outDir = resolve(values.out);
/** The seed of every fine-tune (the CLI draws one at random; the report fixes it to be repeatable). */
const TRAIN_SEED = 0;
/** The per-subject budget of the issue, in seconds; exceeding it is logged. */
const SUBJECT_BUDGET_S = 180;

const logger = pino({ level: 'info' }, pino.destination(2));
const started = performance.now();
const work = await mkdtemp(join(tmpdir(), 'teambooth-quality-'));
try {
  // The model: the committed weights through ensureTinyModel (as `imagine` and `train` get it), or a given weights file.
  const modelDir =
    values.weights === undefined
      ? await ensureTinyModel(resolve('.teambooth', 'models'), { logger })
      : (await writeTinyModel(join(work, 'teambooth-tiny-weights'), undefined, { weights: parseTrainedWeights(await readFile(values.weights)) }), join(work, 'teambooth-tiny-weights'));
  const summary = JSON.parse(await readFile(join(modelDir, TINY_MODEL_SUMMARY_FILE), 'utf8')) as Partial<TinyModelSummary>;
  // A model folder built before trained weights existed has no `weights` entry: it holds the random init.
  const weights = summary.weights === undefined || summary.weights.kind === 'random' ? 'random' : (summary.weights.sha256 ?? (await sha256Of(values.weights)));
  logger.info({ model: modelDir, weights }, 'model ready');

  const oracle = new TinyWorldOracle();
  const base = await loadStableDiffusionModel(modelDir, { device: 'cpu', logger, intraOpThreads: threads });
  const scheduler = createScheduler(undefined, base.schedulerConfig).kind;
  const baseImages = new Map<string, RgbImage>();
  const baseSource = recording(pipelineImageSource(base, sampling), baseImages);
  const progress = (p: { stage: string; done: number; total: number }): void => {
    if (p.done === p.total) logger.info({ stage: p.stage, images: p.total }, 'measured');
  };
  const basePromptFidelity = await measurePromptFidelity(baseSource, { seeds, oracle, onProgress: progress });
  logger.info({ fidelity: basePromptFidelity.all }, 'base prompt fidelity');
  const autoencoder = await measureModelAutoencoderFidelity(base, { device: 'cpu', logger, intraOpThreads: threads });
  logger.info({ fidelity: autoencoder.all }, 'autoencoder fidelity (the ceiling of prompt fidelity)');

  const wanted = values.subjects?.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const fixturesRoot = resolve('test', 'fixtures', 'subjects');
  const fixtures = (await readSubjectFixtures(fixturesRoot)).filter((f) => wanted === undefined || wanted.includes(f.manifest.name));
  const unknown = wanted?.filter((name) => !fixtures.some((f) => f.manifest.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`--subjects: no fixture subject named ${unknown.join(', ')} in ${fixturesRoot}`);

  // `teambooth train`'s defaults for this model: the settings in its teambooth.json.
  const defaults = await readTrainDefaults(modelDir);
  const training = { ...defaults, alpha: defaults.rank, seed: TRAIN_SEED };
  const subjects: QualitySubjectResult[] = [];
  const subjectRows: RgbImage[][] = [];
  for (const [index, fixture] of fixtures.entries()) {
    const subjectStarted = performance.now();
    const { name, classNoun, colours } = fixture.manifest;
    const token = TINY_WORLD_WORDS.rareTokens[(index + 1) % TINY_WORLD_WORDS.rareTokens.length]!;
    const images = await Promise.all(
      fixture.manifest.photos.map(async (photo) => ({ name: photo.file, data: new Uint8Array(await readFile(join(fixturesRoot, name, photo.file))) })),
    );
    const trained = await trainDreamBoothLora(base, { images, token, classWord: classNoun, ...training, flip: false }, { logger, intraOpThreads: threads, workDir: work });
    const trainSeconds = trained.timings.trainMs / 1000;
    const merged = join(work, `merged-${name}`);
    await writeLoraMergedModel(modelDir, trained.lora, merged);
    const adapted = await loadStableDiffusionModel(merged, { device: 'cpu', logger, intraOpThreads: threads });
    try {
      const adaptedImages = new Map<string, RgbImage>();
      const subject = evaluationSubject(oracle, { token, classNoun, photos: fixture.photos, colours });
      const backgrounds = contextBackgrounds(colours);
      const result = await evaluateModel({
        source: recording(pipelineImageSource(adapted, sampling), adaptedImages),
        base: { source: baseSource, promptFidelity: basePromptFidelity },
        subject,
        backgrounds,
        seeds,
        oracle,
        onProgress: progress,
      });
      const f = result.figures;
      const totalSeconds = (performance.now() - subjectStarted) / 1000;
      subjects.push({
        name,
        token,
        classNoun,
        prompt: subjectPrompt(subject),
        backgrounds,
        trainSeconds,
        totalSeconds,
        finalLoss: trained.finalLoss,
        subjectFidelity: f.subjectFidelity!,
        baseSubjectFidelity: f.baseSubjectFidelity!,
        contextFidelity: f.contextFidelity!,
        contextSubjectFidelity: f.contextSubjectFidelity!,
        promptFidelity: f.promptFidelity,
        drift: f.baseDrift!,
      });
      logger.info({ subject: name, trainSeconds: Math.round(trainSeconds), totalSeconds: Math.round(totalSeconds), figures: f }, 'subject measured');
      if (totalSeconds > SUBJECT_BUDGET_S) logger.warn({ subject: name, totalSeconds }, `over the ${SUBJECT_BUDGET_S} s budget per subject: lower --seeds`);
      const pick = (map: Map<string, RgbImage>, prompt: string): RgbImage => map.get(key(prompt, 0))!;
      subjectRows.push([
        fixture.photos[0]!,
        pick(baseImages, subjectPrompt(subject)),
        pick(adaptedImages, subjectPrompt(subject)),
        ...backgrounds.slice(0, 3).map((b) => pick(adaptedImages, contextPrompt(subject, b))),
      ]);
    } finally {
      await adapted.release();
      await rm(merged, { recursive: true, force: true });
    }
  }
  await base.release();

  // Grid: the first 24 base prompts (every shape twice) at seed 0, then one row per subject.
  const prompts = evaluationPrompts().slice(0, 24).map((p) => baseImages.get(key(p.prompt, 0))!);
  const grid = composeImageGrid([prompts.slice(0, 12), prompts.slice(12, 24), ...subjectRows], { scale: 3, gap: 2 });
  await mkdir(outDir, { recursive: true });
  const gridPath = join(outDir, 'quality-grid.png');
  await writeFile(gridPath, await encodePng(grid));

  const notes = [...(values.note ?? [])];
  if (weights === 'random') notes.push('No trained weights were in place for this run (`gpu-agent/tiny-model/weights/` was empty): the model has its seeded random init and draws noise, so every figure below is a floor, not a measurement of a trained model.');
  if (values.weights !== undefined) notes.push(`Weights from \`${relative(process.cwd(), resolve(values.weights))}\`, not the committed file.`);
  const argv = process.argv.slice(2);
  const report: QualityReport = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: `${cpus().length}-core ${cpus()[0]?.model ?? 'unknown CPU'} VM, ONNX Runtime on the CPU, ${threads} threads (the machine was shared)`,
    modelId: basename(modelDir),
    weights,
    notes,
    command: `npm run quality:report${argv.length === 0 ? '' : ` -- ${argv.join(' ')}`}`,
    runtimeSeconds: (performance.now() - started) / 1000,
    sampling: { seeds, steps: sampling.steps, guidance: sampling.guidanceScale, scheduler },
    training,
    base: basePromptFidelity,
    autoencoder,
    subjects,
    gridFile: basename(gridPath),
    gridLegend: [
      'Rows 1 and 2: the base model on the first 24 evaluation prompts (every shape twice), seed 0, in prompt order.',
      ...(subjects.length === 0
        ? []
        : [
            `Then one row per subject (${subjects.map((s) => s.name).join(', ')}): its first reference photo; the base model on "a photo of TOKEN CLASS"; the LoRA-merged model on the same prompt; the merged model on three context backgrounds (the first three listed above), all seed 0.`,
          ]),
    ],
  };
  const markdown = renderQualityMarkdown(report);
  await writeFile(join(outDir, 'quality.md'), markdown);
  for (const target of qualityTargets(report)) console.log(`${target.met ? 'met    ' : 'NOT met'}  ${target.name}: ${target.measured} (wanted ${target.target})`);
  console.log(`wrote ${relative(process.cwd(), join(outDir, 'quality.md'))} and ${relative(process.cwd(), gridPath)} in ${report.runtimeSeconds.toFixed(0)} s`);
} finally {
  await rm(work, { recursive: true, force: true });
}

function key(prompt: string, seed: number): string {
  return `${seed}\0${prompt}`;
}

/** A source that keeps every image it hands out, for the grid. */
function recording(source: ImageSource, into: Map<string, RgbImage>): ImageSource {
  return async (request, signal) => {
    const image = await source(request, signal);
    into.set(key(request.prompt, request.seed), image);
    return image;
  };
}

async function sha256Of(path: string | undefined): Promise<string> {
  if (path === undefined) return 'unknown';
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(await readFile(path)).digest('hex');
}
