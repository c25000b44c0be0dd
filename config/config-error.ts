/** One problem found in the configuration. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `node.raft.tickMs`, or an environment variable name; '' for the source as a whole. */
  path: string;
  /** Where the value came from, e.g. `TEAMBOOTH_RAFT_TICK_MS="abc"`, `--listen="x"`, `config file ./t.json`, or `default`. */
  source: string;
  /** What is wrong and, where possible, what to change: `must be a number`. */
  problem: string;
  /** The kind of source, so callers can tell usage errors (flags) from environment or file errors. */
  sourceKind: 'default' | 'file' | 'env' | 'flag';
}

/**
 * A configuration that cannot be used. Its message has one line per problem, each naming the key
 * and the source of the bad value:
 * `config error: node.raft.tickMs (from TEAMBOOTH_RAFT_TICK_MS="abc") must be a number`.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }

  /** True when every problem comes from a command-line flag (a usage error). */
  get fromFlagsOnly(): boolean {
    return this.issues.length > 0 && this.issues.every((issue) => issue.sourceKind === 'flag');
  }
}

function formatIssue(issue: ConfigIssue): string {
  if (issue.path === '') return `config error: ${issue.source === '' ? 'the configuration' : issue.source} ${issue.problem}`;
  const from = issue.source === '' ? '' : ` (from ${issue.source})`;
  return `config error: ${issue.path}${from} ${issue.problem}`;
}
