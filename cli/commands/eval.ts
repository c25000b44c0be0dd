import { Option } from 'commander';
import type { EvaluationFigures, EvaluationSubject, ModelEvaluation } from '../../gpu-agent/evaluation/index.ts';
import type { StableDiffusionModel } from '../../gpu-agent/pipeline/model-directory.ts';
import type { CommonOptions } from '../command.ts';
import { defineCommand } from '../command.ts';
import { commandLogger, loadCommandConfig, printJson } from '../command-support.ts';
import { EXIT_INTERRUPTED, interruptible, modelCacheRoot, resolveModelDirectory } from './local-model-command.ts';
import { formatTable } from '../format-table.ts';
import { UsageError } from '../usage-error.ts';
import { EVAL_DEFAULTS, MAX_EVAL_SEEDS, parseEvalFlags, readSubjectPhotos } from './eval-options.ts';
import type { EvalFlags } from './eval-options.ts';
import { modelWithLora, parseLoraFlag } from './imagine-lora.ts';

type EvalOptions = CommonOptions & EvalFlags;

/** The object printed by `teambooth eval --json`: the settings, and every figure that applies as `{ value, images }`. */
export interface EvalView {
  model: string;
  /** Absolute path of the model directory (the base model, before any LoRA). */
  modelDirectory: string;
  lora?: { path: string; scale: number };
  subject?: { directory: string; token: string; classNoun: string; prompt: string; backgrounds: string[] };
  provider: string;
  /** Images per prompt, from seeds 0..seeds-1. */
  seeds: number;
  steps: number;
  guidance: number;
  figures: EvaluationFigures;
}


/**
 * `teambooth eval`: measures a model on the tiny world with the oracle, over images generated on
 * this machine with seeds 0..N-1: prompt fidelity always; with `--lora`, the base model's too and
 * the drift between them; with `--subject DIR --token T`, subject and context fidelity.
 */
export const evalCommand = defineCommand<EvalOptions>({
  path: ['eval'],
  summary: 'measure prompt, subject and context fidelity and base drift on the tiny world (this machine)',
  define(command) {
    command
      .option('--model <dir|tiny>', 'a diffusers ONNX model directory, or "tiny" for the built-in model', 'tiny')
      .option('--lora <file[:scale]>', 'evaluate the model with this LoRA merged in at SCALE (default 1); adds the base drift')
      .option('--subject <dir>', "the subject's reference photos (a folder like test/fixtures/subjects/smiley); adds subject and context fidelity")
      .option('--token <word>', 'the word the subject was trained on, e.g. zxq (with --subject)')
      .option('--class <word>', "the subject's class word (default: the class in the folder's subject.json)")
      .option('--seeds <n>', `images per prompt, seeds 0..n-1 (1..${MAX_EVAL_SEEDS})`, String(EVAL_DEFAULTS.seeds))
      .option('--steps <n>', 'denoising steps, 1..150', String(EVAL_DEFAULTS.steps))
      .option('--guidance <x>', 'classifier-free guidance scale, 1 (off) to 30', String(EVAL_DEFAULTS.guidanceScale))
      .addOption(new Option('--device <device>', 'where to run: auto tries CUDA, then the CPU').choices(['auto', 'cuda', 'cpu']).default('auto'))
      .option('--json', 'print one JSON object: { model, seeds, figures: { promptFidelity: { value, images }, ... } }');
  },
  async execute(input) {
    const { options, ctx } = input;
    const parsed = parseEvalFlags(options, ctx.cwd);
    const lora = options.lora === undefined ? undefined : parseLoraFlag(options.lora, ctx.cwd);
    const loaded = loadCommandConfig(input);
    const logger = commandLogger(input, loaded, 'client').child({ component: 'eval' });

    const scope = interruptible(input);
    const models: StableDiffusionModel[] = [];
    try {
      const photos = parsed.subject === undefined ? undefined : await readSubjectPhotos(parsed.subject.directory, scope.signal);
      const classNoun = parsed.subject?.classNoun ?? photos?.classNoun;
      if (parsed.subject !== undefined && classNoun === undefined) {
        throw new UsageError(`--class is required: ${parsed.subject.directory} has no subject.json that names the class, e.g. --class glyph`);
      }
      // ONNX Runtime and the model builder load only when a command needs them, so `--help` stays fast.
      const [{ loadStableDiffusionModel }, evaluation, { TinyWorldOracle }] = await Promise.all([
        import('../../gpu-agent/pipeline/model-directory.ts'),
        import('../../gpu-agent/evaluation/index.ts'),
        import('../../gpu-agent/tiny-world/oracle.ts'),
      ]);
      const oracle = new TinyWorldOracle();
      let subject: EvaluationSubject | undefined;
      if (parsed.subject !== undefined && photos !== undefined && classNoun !== undefined) {
        try {
          subject = evaluation.evaluationSubject(oracle, { token: parsed.subject.token, classNoun, photos: photos.photos, ...(photos.colours === undefined ? {} : { colours: photos.colours }) });
        } catch (error) {
          throw new UsageError(`--subject: ${parsed.subject.directory}: ${(error as Error).message}`);
        }
      }
      const cacheRoot = modelCacheRoot(ctx.cwd);
      const baseDirectory = await resolveModelDirectory(options.model, ctx.cwd, logger, scope.signal);
      const load = async (directory: string): Promise<StableDiffusionModel> => {
        const model = await loadStableDiffusionModel(directory, { device: options.device, logger, signal: scope.signal });
        models.push(model);
        return model;
      };
      const base = await load(baseDirectory);
      const adapted = lora === undefined ? undefined : await load(await modelWithLora(baseDirectory, lora, cacheRoot, scope.signal));
      const sampling = { steps: parsed.steps, guidanceScale: parsed.guidanceScale };
      const quiet = options.json === true;
      const result: ModelEvaluation = await evaluation.evaluateModel({
        source: evaluation.pipelineImageSource(adapted ?? base, sampling),
        ...(adapted === undefined ? {} : { base: { source: evaluation.pipelineImageSource(base, sampling) } }),
        ...(subject === undefined ? {} : { subject }),
        seeds: parsed.seeds,
        oracle,
        signal: scope.signal,
        logger,
        onProgress: (p) => {
          if (!quiet && p.done === p.total) ctx.stderr.write(`measured ${p.stage} (${p.total} image${p.total === 1 ? '' : 's'})\n`);
        },
      });
      const view: EvalView = {
        model: (adapted ?? base).name,
        modelDirectory: baseDirectory,
        ...(lora === undefined ? {} : { lora: { path: lora.path, scale: lora.scale } }),
        ...(subject === undefined || parsed.subject === undefined
          ? {}
          : {
              subject: {
                directory: parsed.subject.directory,
                token: subject.token,
                classNoun: subject.classNoun,
                prompt: evaluation.subjectPrompt(subject),
                backgrounds: result.contextFidelity?.backgrounds ?? [],
              },
            }),
        provider: (adapted ?? base).provider,
        seeds: parsed.seeds,
        steps: parsed.steps,
        guidance: parsed.guidanceScale,
        figures: result.figures,
      };
      if (options.json === true) printJson(input, view);
      else ctx.stdout.write(render(view));
      return 0;
    } catch (error) {
      if (scope.interrupted()) {
        ctx.stderr.write('eval: interrupted, nothing measured\n');
        return EXIT_INTERRUPTED;
      }
      throw error;
    } finally {
      for (const model of models) await model.release();
      scope.dispose();
    }
  },
});

const percent = (value: number): string => `${(100 * value).toFixed(1)} %`;
const points = (value: number): string => `${value >= 0 ? '+' : ''}${(100 * value).toFixed(1)} points`;
const similarity = (value: number): string => value.toFixed(3);

/** The figures as a table, with the settings above it. */
function render(view: EvalView): string {
  const f = view.figures;
  const rows: string[][] = [];
  const add = (name: string, figure: { value: number; images: number } | undefined, format: (v: number) => string): void => {
    if (figure !== undefined) rows.push([name, format(figure.value), String(figure.images)]);
  };
  add('prompt fidelity', f.promptFidelity, percent);
  add('  background colour', f.backgroundAccuracy, percent);
  add('  foreground colour', f.colourAccuracy, percent);
  add('  shape', f.shapeAccuracy, percent);
  add('    small shapes', f.shapeAccuracySmall, percent);
  add('    medium shapes', f.shapeAccuracyMedium, percent);
  add('    large shapes', f.shapeAccuracyLarge, percent);
  add('base prompt fidelity', f.basePromptFidelity, percent);
  add('base drift', f.baseDrift, points);
  add('subject fidelity', f.subjectFidelity, similarity);
  add('base subject fidelity', f.baseSubjectFidelity, similarity);
  add('context fidelity', f.contextFidelity, percent);
  add('subject in context', f.contextSubjectFidelity, similarity);
  const lora = view.lora === undefined ? '' : ` + ${view.lora.path} (scale ${view.lora.scale})`;
  const subject = view.subject === undefined ? '' : `subject "${view.subject.prompt}", contexts ${view.subject.backgrounds.join(', ')}\n`;
  const header = `model ${view.model}${lora} on ${view.provider}; seeds 0..${view.seeds - 1}, ${view.steps} steps, guidance ${view.guidance}\n${subject}`;
  return `${header}${formatTable(['figure', 'value', 'images'], rows)}`;
}
