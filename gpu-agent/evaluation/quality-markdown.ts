import { SIZE_CLASSES, SIZE_RADII } from '../tiny-world/size-classes.ts';
import type { AutoencoderFidelity } from './autoencoder-fidelity.ts';
import type { Figure } from './figure.ts';
import type { PromptFidelity } from './prompt-fidelity.ts';

/** What one fixture subject's fine-tune measured in the quality report. */
export interface QualitySubjectResult {
  name: string;
  token: string;
  classNoun: string;
  /** "a photo of <token> <class>". */
  prompt: string;
  backgrounds: readonly string[];
  trainSeconds: number;
  /** Training, merging and every measurement of this subject. */
  totalSeconds: number;
  finalLoss: number;
  subjectFidelity: Figure;
  baseSubjectFidelity: Figure;
  contextFidelity: Figure;
  contextSubjectFidelity: Figure;
  /** Prompt fidelity of the LoRA-merged model on the base prompts. */
  promptFidelity: Figure;
  drift: Figure;
}

/** Everything `npm run quality:report` writes into docs/quality.md. */
export interface QualityReport {
  /** ISO date and time of the run. */
  date: string;
  machine: string;
  /** The model folder's name (`teambooth-tiny-<hash>`). */
  modelId: string;
  /** SHA-256 of the weights file, or `random` for the seeded init. */
  weights: string;
  /** Things the reader must know about this run (e.g. which weights were in place). */
  notes: readonly string[];
  command: string;
  runtimeSeconds: number;
  sampling: { seeds: number; steps: number; guidance: number; scheduler: string };
  training: { steps: number; learningRate: number; rank: number; alpha: number; batchSize: number; seed: number };
  base: Pick<PromptFidelity, 'all' | 'background' | 'colour' | 'shape' | 'shapeBySize'>;
  /** The same figures for generator images through the model's own VAE: the ceiling a perfect denoiser would reach. */
  autoencoder: AutoencoderFidelity;
  subjects: readonly QualitySubjectResult[];
  /** Path of the grid image, relative to the markdown file. */
  gridFile: string;
  /** How the grid is laid out, one line per row group. */
  gridLegend: readonly string[];
}

/** How far above the base model's subject fidelity a fine-tune must be to count as "well above". */
export const SUBJECT_FIDELITY_MARGIN = 0.1;

/** One target of the issue and whether this run meets it. */
export interface QualityTarget {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

/** The pooled figure over several (images-weighted mean; images summed). */
export function pooledFigure(figures: readonly Figure[]): Figure {
  const images = figures.reduce((n, f) => n + f.images, 0);
  return { value: images === 0 ? 0 : figures.reduce((sum, f) => sum + f.value * f.images, 0) / images, images };
}

const pct = (f: Figure): string => `${(100 * f.value).toFixed(1)} %`;
const sim = (f: Figure): string => f.value.toFixed(3);
const pts = (f: Figure): string => `${f.value >= 0 ? '+' : ''}${(100 * f.value).toFixed(1)} points`;
const withImages = (text: string, f: Figure): string => `${text} (${f.images} image${f.images === 1 ? '' : 's'})`;

/** The issue's targets: base prompt fidelity at least 80 %, subject fidelity well above the base model's, context fidelity at least 70 %. */
export function qualityTargets(report: QualityReport): QualityTarget[] {
  const targets: QualityTarget[] = [
    { name: 'base prompt fidelity', target: 'at least 80 %', measured: withImages(pct(report.base.all), report.base.all), met: report.base.all.value >= 0.8 },
  ];
  if (report.subjects.length > 0) {
    const lora = pooledFigure(report.subjects.map((s) => s.subjectFidelity));
    const base = pooledFigure(report.subjects.map((s) => s.baseSubjectFidelity));
    const context = pooledFigure(report.subjects.map((s) => s.contextFidelity));
    targets.push(
      {
        name: 'subject fidelity',
        target: `well above the base model's on the same prompt (here: at least +${SUBJECT_FIDELITY_MARGIN.toFixed(2)}, pooled and for every subject)`,
        measured: `${withImages(sim(lora), lora)} vs base ${withImages(sim(base), base)}`,
        met: lora.value >= base.value + SUBJECT_FIDELITY_MARGIN && report.subjects.every((s) => s.subjectFidelity.value >= s.baseSubjectFidelity.value + SUBJECT_FIDELITY_MARGIN),
      },
      { name: 'context fidelity', target: 'at least 70 %', measured: withImages(pct(context), context), met: context.value >= 0.7 },
    );
  }
  return targets;
}

/** docs/quality.md: the run's facts, the targets and whether they are met, every figure with its image count, and the grid. */
export function renderQualityMarkdown(report: QualityReport): string {
  const lines: string[] = [];
  const { base, sampling, training } = report;
  lines.push('# Quality of `teambooth-tiny` and its fine-tunes', '');
  lines.push(`Measured by \`${report.command}\` (scripts/quality-report.ts); the tiny world's oracle reads every image (see DESIGN.md, "The tiny world").`, '');
  lines.push('| | |', '|---|---|');
  lines.push(`| date | ${report.date} |`);
  lines.push(`| machine | ${report.machine} |`);
  lines.push(`| model | \`${report.modelId}\` |`);
  lines.push(`| model weights (SHA-256) | ${report.weights === 'random' ? 'none: seeded random init (no trained weights committed)' : `\`${report.weights}\``} |`);
  lines.push(`| sampling | seeds 0..${sampling.seeds - 1} per prompt, ${sampling.steps} ${sampling.scheduler} steps, guidance ${sampling.guidance} |`);
  lines.push(`| fine-tunes | \`teambooth train\` defaults: ${fineTuneSettings(training)}, seed ${training.seed}, every fixture photo |`);
  lines.push(`| runtime | ${report.runtimeSeconds.toFixed(0)} s |`, '');
  for (const note of report.notes) lines.push(`> ${note}`, '');

  lines.push('## Targets', '', '| target | wanted | measured | met |', '|---|---|---|---|');
  for (const t of qualityTargets(report)) lines.push(`| ${t.name} | ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`);
  lines.push('');

  lines.push('## Base model: prompt fidelity', '');
  lines.push('The 48 fixed evaluation prompts ("a small red star on a blue background"; every shape 4 times, every colour 4 times as foreground and as background). An image counts when the oracle reads the asked background colour, foreground colour and shape.', '');
  lines.push(
    "Beside each figure, its ceiling: the same reading of generator images (every shape, colour, size and position) after a round trip through the model's own VAE, which is what a denoiser that drew the latents of real images exactly would score.",
    '',
  );
  lines.push('| figure | generated | images | VAE round trip | images |', '|---|---|---|---|---|');
  const { autoencoder: ae } = report;
  const rows: [string, Figure, Figure][] = [
    ['prompt fidelity (all three)', base.all, ae.all],
    ['background colour', base.background, ae.background],
    ['foreground colour', base.colour, ae.colour],
    ['shape', base.shape, ae.shape],
    ...SIZE_CLASSES.map((size): [string, Figure, Figure] => [`shape: ${size} (radius ${SIZE_RADII[size].join(' to ')} px)`, base.shapeBySize[size], ae.shapeBySize[size]]),
  ];
  for (const [name, generated, ceiling] of rows) lines.push(`| ${name} | ${pct(generated)} | ${generated.images} | ${pct(ceiling)} | ${ceiling.images} |`);
  lines.push('');

  if (report.subjects.length > 0) {
    lines.push('## Fine-tunes of the fixture subjects', '');
    lines.push(
      'One LoRA per subject in `test/fixtures/subjects/`, trained on the base model. Subject fidelity: mean oracle similarity (0 to 1) of "a photo of TOKEN CLASS" to the subject\'s reference photos, for the LoRA-merged model and for the base model on the same prompt and seeds. Context fidelity: share of "a photo of TOKEN CLASS on a COLOUR background" images whose background is the asked colour (colours the subject never had in training prompts); "subject in context" is their mean subject similarity. Drift: the merged model\'s prompt fidelity on the 48 base prompts minus the base model\'s.',
      '',
    );
    lines.push('| subject | prompt | subject fidelity | base model | context fidelity | subject in context | base prompts with LoRA | drift | train | total |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const s of report.subjects) {
      lines.push(
        `| ${s.name} | "${s.prompt}" | ${sim(s.subjectFidelity)} (${s.subjectFidelity.images}) | ${sim(s.baseSubjectFidelity)} (${s.baseSubjectFidelity.images}) | ${pct(s.contextFidelity)} (${s.contextFidelity.images}) | ${sim(s.contextSubjectFidelity)} (${s.contextSubjectFidelity.images}) | ${pct(s.promptFidelity)} (${s.promptFidelity.images}) | ${pts(s.drift)} (${s.drift.images}) | ${s.trainSeconds.toFixed(1)} s | ${s.totalSeconds.toFixed(0)} s |`,
      );
    }
    const pool = (pick: (s: QualitySubjectResult) => Figure): Figure => pooledFigure(report.subjects.map(pick));
    lines.push(
      `| **all** | | ${sim(pool((s) => s.subjectFidelity))} (${pool((s) => s.subjectFidelity).images}) | ${sim(pool((s) => s.baseSubjectFidelity))} (${pool((s) => s.baseSubjectFidelity).images}) | ${pct(pool((s) => s.contextFidelity))} (${pool((s) => s.contextFidelity).images}) | ${sim(pool((s) => s.contextSubjectFidelity))} (${pool((s) => s.contextSubjectFidelity).images}) | ${pct(pool((s) => s.promptFidelity))} (${pool((s) => s.promptFidelity).images}) | ${pts(pool((s) => s.drift))} (${pool((s) => s.drift).images}) | | |`,
    );
    lines.push('', 'Numbers in parentheses are the images behind each figure. Context backgrounds per subject: ' + report.subjects.map((s) => `${s.name}: ${s.backgrounds.join(', ')}`).join('; ') + '.', '');
  }

  lines.push('## Grid', '', `![generated images](${report.gridFile})`, '');
  for (const line of report.gridLegend) lines.push(`- ${line}`);
  lines.push('', 'Every image is 64x64, upscaled with nearest-neighbour sampling. Regenerate this page with `npm run quality:report` (add `-- --subjects smiley,key --seeds 1` for a quick run).', '');
  return lines.join('\n');
}

/** A fine-tune's settings as the reports print them: "1000 steps of 8 photos, learning rate 0.0025, rank 4, alpha 4". */
export function fineTuneSettings(training: { steps: number; batchSize: number; learningRate: number; rank: number; alpha: number }): string {
  return `${training.steps} steps of ${training.batchSize} photos, learning rate ${training.learningRate}, rank ${training.rank}, alpha ${training.alpha}`;
}
