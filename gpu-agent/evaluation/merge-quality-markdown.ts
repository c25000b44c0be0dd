import type { BaseDrift } from './base-drift.ts';
import type { Figure } from './figure.ts';
import { fineTuneSettings, pooledFigure } from './quality-markdown.ts';
import type { SubjectConfusion } from './subject-confusion.ts';

/** How subjects' LoRAs were trained and summed into one model. */
export type MergeMethodName = 'sum' | 'orthogonal';

/** A fixture subject of the merge benchmark. */
export interface MergeQualitySubject {
  name: string;
  token: string;
  classNoun: string;
  /** "a photo of <token> <class>". */
  prompt: string;
  /** Subject fidelity of the base model on the subject's prompt. */
  baseFidelity: Figure;
}

/** The model after some merges: subject fidelity of every subject measured on it (by subject index). */
export interface MergeStep {
  /** Subjects merged so far (1..K). */
  merged: number;
  /** Indexes of the subjects whose LoRAs the model holds. */
  holds: readonly number[];
  fidelity: ReadonlyMap<number, Figure>;
}

/** Everything measured for one merge method. */
export interface MergeMethodResult {
  method: MergeMethodName;
  /** Per subject: fidelity with its own LoRA alone. */
  solo: readonly Figure[];
  trainSeconds: readonly number[];
  finalLoss: readonly number[];
  /** Per subject: Frobenius norm of the LoRA's weight delta, `(alpha/rank) up down`, over all its layers. */
  deltaNorms: readonly number[];
  /** After 1..K merges, every subject merged so far (the last step is the fully merged model). */
  cumulative: readonly MergeStep[];
  /** After 1..K merges with retention: the model rebuilt from the base with the last `keepLast` LoRAs only. */
  retained: readonly MergeStep[];
  /** Crosstalk in the fully merged model. */
  confusion: SubjectConfusion;
  /** The fully merged model against the base on the base prompts. */
  drift: BaseDrift;
}

/** What `npm run bench:merge-quality` writes into the "Merging subjects" section of docs/quality.md. */
export interface MergeQualityReport {
  date: string;
  machine: string;
  command: string;
  runtimeSeconds: number;
  sampling: { seeds: number; driftSeeds: number; steps: number; guidance: number; scheduler: string };
  training: { steps: number; learningRate: number; rank: number; alpha: number; batchSize: number; basisSeed: number };
  keepLast: number;
  subjects: readonly MergeQualitySubject[];
  methods: readonly MergeMethodResult[];
  /** Path of the vanishing plot, relative to the markdown file. */
  plotFile: string;
}

/** The heading of the section {@link renderMergeQualitySection} writes. */
export const MERGE_SECTION_HEADING = '## Merging subjects';

/** The issue's goal: with `orthogonal`, every subject keeps this share of its solo fidelity after all merges. */
export const KEPT_FIDELITY_GOAL = 0.9;

/** How much higher orthogonal's mean kept share must be than sum's to count as clearly better. */
export const CLEARLY_BETTER_MARGIN = 0.05;

/** Share of a subject's solo fidelity that the fully merged model keeps. */
export function keptShare(result: MergeMethodResult, subject: number): number {
  const merged = finalFidelity(result, subject).value;
  const solo = result.solo[subject]!.value;
  return solo === 0 ? 0 : merged / solo;
}

/** Whether the goal is met, with the figures that decide it. */
export interface MergeQualityGoal {
  met: boolean;
  /** Per method: the smallest and the mean kept share over subjects. */
  kept: Record<MergeMethodName, { min: number; mean: number }>;
  /** Orthogonal's pooled merged fidelity over sum's. */
  fidelityRatio: number;
  text: string;
}

/** Checks the goal on a report that has both methods. @throws RangeError when one is missing. */
export function mergeQualityGoal(report: MergeQualityReport): MergeQualityGoal {
  const sum = methodResult(report, 'sum');
  const orthogonal = methodResult(report, 'orthogonal');
  const stats = (result: MergeMethodResult): { min: number; mean: number } => {
    const shares = report.subjects.map((_, i) => keptShare(result, i));
    return { min: Math.min(...shares), mean: shares.reduce((a, b) => a + b, 0) / shares.length };
  };
  const kept = { sum: stats(sum), orthogonal: stats(orthogonal) };
  const pooledMerged = (result: MergeMethodResult): number => pooledFigure(report.subjects.map((_, i) => finalFidelity(result, i))).value;
  const fidelityRatio = pooledMerged(orthogonal) / pooledMerged(sum);
  const everyKeeps = kept.orthogonal.min >= KEPT_FIDELITY_GOAL;
  const better = kept.orthogonal.mean >= kept.sum.mean + CLEARLY_BETTER_MARGIN;
  const text =
    `orthogonal keeps ${pct(kept.orthogonal.min)} of solo fidelity for its worst subject (goal ${pct(KEPT_FIDELITY_GOAL)}: ${everyKeeps ? 'met' : 'not met'}), ` +
    `${pct(kept.orthogonal.mean)} on average against sum's ${pct(kept.sum.mean)} (worst ${pct(kept.sum.min)}; clearly better, by ${(100 * CLEARLY_BETTER_MARGIN).toFixed(0)} points or more: ${better ? 'yes' : 'no'}); ` +
    `pooled merged fidelity orthogonal/sum = ${fidelityRatio.toFixed(3)}`;
  return { met: everyKeeps && better, kept, fidelityRatio, text };
}

/** Fidelity of a subject in the fully merged model of a method. */
export function finalFidelity(result: MergeMethodResult, subject: number): Figure {
  const figure = result.cumulative.at(-1)?.fidelity.get(subject);
  if (figure === undefined) throw new RangeError(`the fully merged ${result.method} model has no fidelity of subject ${subject}`);
  return figure;
}

/** The mean kept share (fidelity over solo fidelity) of the subjects a step's model holds. */
export function heldKeptShare(result: MergeMethodResult, step: MergeStep): number {
  const shares = step.holds.map((i) => (result.solo[i]!.value === 0 ? 0 : step.fidelity.get(i)!.value / result.solo[i]!.value));
  return shares.reduce((a, b) => a + b, 0) / Math.max(1, shares.length);
}

/**
 * Replaces a `## ` section of a markdown document (from its heading line to the next `## ` heading
 * or the end) with `section`, or appends `section` when the document has no such heading; the
 * rest of the document is left as it is.
 */
export function replaceMarkdownSection(document: string, heading: string, section: string): string {
  const lines = document.split('\n');
  const start = lines.findIndex((line) => line.trim() === heading);
  const body = section.replace(/\n+$/, '').split('\n');
  if (start < 0) return `${document.replace(/\n*$/, '')}\n\n${body.join('\n')}\n`;
  const next = lines.findIndex((line, i) => i > start && /^## /.test(line));
  const after = next < 0 ? [] : ['', ...lines.slice(next)];
  return [...lines.slice(0, start), ...body, ...after].join('\n').replace(/\n*$/, '\n');
}

const pct = (share: number): string => `${(100 * share).toFixed(1)} %`;
const sim = (f: Figure): string => f.value.toFixed(3);

function methodResult(report: MergeQualityReport, method: MergeMethodName): MergeMethodResult {
  const result = report.methods.find((m) => m.method === method);
  if (result === undefined) throw new RangeError(`the merge report has no ${method} results`);
  return result;
}

/** The "Merging subjects" section of docs/quality.md: settings, goal, per-subject tables, confusion, drift, vanishing and the plot. */
export function renderMergeQualitySection(report: MergeQualityReport): string {
  const { subjects, sampling, training } = report;
  const goal = mergeQualityGoal(report);
  const K = subjects.length;
  const lines: string[] = [MERGE_SECTION_HEADING, ''];
  lines.push(
    `Measured by \`${report.command}\` (scripts/bench-merge-quality.ts). ${K} fixture subjects are fine-tuned once per merge method, then merged one after another into the base model (deltas summed in weight space: W' = W + (alpha/rank) up down per subject, the arithmetic of the cluster's merge). ` +
      '`sum`: standard LoRA (down and up trained; down drawn per subject). `orthogonal`: subject i gets slot i of a seeded random orthogonal basis per layer as its fixed down-projection, and only up trains. ' +
      'Fidelity is the oracle\'s mean subject similarity (0 to 1) of "a photo of TOKEN CLASS" to the subject\'s reference photos, as in "Fine-tunes of the fixture subjects" above.',
    '',
  );
  lines.push('| | |', '|---|---|');
  lines.push(`| date | ${report.date} |`, `| machine | ${report.machine} |`);
  lines.push(`| subjects, in merge order | ${subjects.map((s) => `${s.name} (\`${s.token} ${s.classNoun}\`)`).join(', ')} |`);
  lines.push(`| fine-tunes | the model's defaults: ${fineTuneSettings(training)}; seed i for subject i; orthogonal basis seed ${training.basisSeed}, slot i |`);
  lines.push(`| sampling | seeds 0..${sampling.seeds - 1} per subject prompt, ${sampling.steps} ${sampling.scheduler} steps, guidance ${sampling.guidance}; base drift on the 48 base prompts at seeds 0..${sampling.driftSeeds - 1} |`);
  lines.push(`| retention | keep last ${report.keepLast}: after each merge the model is rebuilt from the base with the last ${report.keepLast} subjects' LoRAs only |`);
  lines.push(`| runtime | ${report.runtimeSeconds.toFixed(0)} s |`, '');

  lines.push('### Goal', '', '> With `orthogonal`, every subject keeps at least 90 % of its solo fidelity after all merges, clearly better than `sum` in the same run.', '');
  const baseShare = report.methods.map((m) => `${pct(pooledFigure(subjects.map((s) => s.baseFidelity)).value / pooledFigure(m.solo).value)} of ${m.method}'s`).join(' and ');
  lines.push(
    `**${goal.met ? 'Met' : 'Not met'}**: ${goal.text}. "Kept" is the subject's fidelity in the fully merged model over its fidelity with its own LoRA alone; "clearly better" here means orthogonal's mean kept share is at least ${(100 * CLEARLY_BETTER_MARGIN).toFixed(0)} points above sum's. ` +
      `For scale: the base model, which never saw the subjects, scores ${baseShare} pooled solo fidelity, so a kept share near that means the subject is as good as forgotten.`,
    '',
  );

  lines.push(`### Every subject after all ${K} merges`, '');
  const header = ['subject', 'prompt', 'base model', ...report.methods.flatMap((m) => [`${m.method}: solo`, `${m.method}: merged`, `${m.method}: kept`]), 'merged orthogonal/sum'];
  lines.push(`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`);
  const sum = methodResult(report, 'sum');
  const orthogonal = methodResult(report, 'orthogonal');
  subjects.forEach((s, i) => {
    const cells = report.methods.flatMap((m) => [sim(m.solo[i]!), sim(finalFidelity(m, i)), pct(keptShare(m, i))]);
    lines.push(`| ${s.name} | "${s.prompt}" | ${sim(s.baseFidelity)} | ${cells.join(' | ')} | ${ratioCell(finalFidelity(orthogonal, i).value, finalFidelity(sum, i).value)} |`);
  });
  const pooled = report.methods.flatMap((m) => {
    const solo = pooledFigure(m.solo);
    const merged = pooledFigure(subjects.map((_, i) => finalFidelity(m, i)));
    return [sim(solo), sim(merged), pct(merged.value / solo.value)];
  });
  lines.push(`| **all** | | ${sim(pooledFigure(subjects.map((s) => s.baseFidelity)))} | ${pooled.join(' | ')} | ${goal.fidelityRatio.toFixed(3)} |`, '');
  lines.push(
    `Each figure is the mean over ${sampling.seeds} image${sampling.seeds === 1 ? '' : 's'}. Per subject, mean over subjects: fine-tune time ${report.methods.map((m) => `${m.method} ${mean(m.trainSeconds).toFixed(1)} s`).join(', ')}; ` +
      `final loss ${report.methods.map((m) => `${m.method} ${mean(m.finalLoss).toFixed(4)}`).join(', ')}; norm of the LoRA's weight delta (Frobenius, all layers) ${report.methods.map((m) => `${m.method} ${mean(m.deltaNorms).toFixed(3)}`).join(', ')}.`,
    '',
  );

  lines.push(`### Confusion after all ${K} merges`, '');
  lines.push(`Rows: the subject whose token is in the prompt; columns: the subject whose reference photos the generated image is most similar to (${sampling.seeds} image${sampling.seeds === 1 ? '' : 's'} per row; "none": the oracle found no subject in the image). The diagonal is right.`, '');
  for (const m of report.methods) {
    lines.push(`**${m.method}** (diagonal ${m.confusion.counts.reduce((n, row, i) => n + row[i]!, 0)} of ${K * m.confusion.images})`, '');
    lines.push(`| prompt \\ closest | ${subjects.map((s) => s.name).join(' | ')} | none |`, `|---|${subjects.map(() => '---').join('|')}|---|`);
    subjects.forEach((s, i) => lines.push(`| ${s.name} | ${m.confusion.counts[i]!.map((c, j) => (i === j ? `**${c}**` : `${c}`)).join(' | ')} | ${m.confusion.unreadable[i]} |`));
    lines.push('');
  }

  lines.push('### Base drift of the merged model', '');
  lines.push('| method | base prompt fidelity | merged model | drift | images that flipped |', '|---|---|---|---|---|');
  for (const m of report.methods) {
    const d = m.drift;
    lines.push(`| ${m.method} | ${pct(d.base.value)} (${d.base.images}) | ${pct(d.adapted.value)} (${d.adapted.images}) | ${d.drift.value >= 0 ? '+' : ''}${(100 * d.drift.value).toFixed(1)} points | ${d.flipped} |`);
  }
  lines.push('');

  const first = subjects[0]!;
  lines.push('### Vanishing', '');
  lines.push(
    `Fidelity of the first subject, ${first.name}, after 1..${K} merges, without retention and with "keep last ${report.keepLast}" (after merge ${report.keepLast + 1} the retained model no longer holds ${first.name}'s LoRA, so its figure from then on is what the model draws without it: the subject is gone by design). ` +
      `The last columns are the mean kept share (fidelity over solo fidelity) of the subjects each model holds.`,
    '',
  );
  const vanishingHeader = ['merges', 'subject added', ...report.methods.flatMap((m) => [`${m.method}`, `${m.method}, keep ${report.keepLast}`]), ...report.methods.flatMap((m) => [`${m.method}: held kept`, `${m.method}, keep ${report.keepLast}: held kept`])];
  lines.push(`| ${vanishingHeader.join(' | ')} |`, `|${vanishingHeader.map(() => '---').join('|')}|`);
  for (let k = 0; k < K; k++) {
    const firstCells = report.methods.flatMap((m) => [sim(m.cumulative[k]!.fidelity.get(0)!), `${sim(m.retained[k]!.fidelity.get(0)!)}${m.retained[k]!.holds.includes(0) ? '' : ' (dropped)'}`]);
    const heldCells = report.methods.flatMap((m) => [pct(heldKeptShare(m, m.cumulative[k]!)), pct(heldKeptShare(m, m.retained[k]!))]);
    lines.push(`| ${k + 1} | ${subjects[k]!.name} | ${firstCells.join(' | ')} | ${heldCells.join(' | ')} |`);
  }
  lines.push('', `${first.name}: base model ${sim(first.baseFidelity)}; solo ${report.methods.map((m) => `${m.method} ${sim(m.solo[0]!)}`).join(', ')}.`, '');
  lines.push(`![vanishing curves](${report.plotFile})`, '');
  lines.push('Left: the first subject\'s fidelity as a share of its solo fidelity; right: the mean kept share of the subjects the model holds. Regenerate this section with `npm run bench:merge-quality` (add `-- --subjects 6 --seeds 2` for a quicker run).', '');
  return lines.join('\n');
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

/** orthogonal/sum of one subject; a sum of 0 (the merged model never drew the subject) has no ratio. */
function ratioCell(orthogonal: number, sum: number): string {
  return sum > 0 ? (orthogonal / sum).toFixed(3) : 'n/a (sum 0)';
}
