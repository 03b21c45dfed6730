// The closing counts of node:test runs, read back from the tap reporter's
// output, and the summary `npm test` prints after running the suite on more
// than one Node.js: each Node's counts, then the totals in the same
// `# key N` lines the tap reporter ends with, so whoever reads only the last
// lines sees every pass and whether it passed.

/** The counts node:test's tap reporter prints last, in its order. */
export const SUMMARY_KEYS = [
  'tests',
  'suites',
  'pass',
  'fail',
  'cancelled',
  'skipped',
  'todo',
  'duration_ms',
] as const;

export type SummaryKey = (typeof SUMMARY_KEYS)[number];
export type Summary = Record<SummaryKey, number>;

/** One run of the suite on one Node.js. */
export interface PassResult {
  /** E.g. `v20.20.2 (system, /usr/bin/node)`. */
  readonly node: string;
  readonly exitCode: number;
  /** null when the run ended without a summary (it crashed, or another reporter was asked for). */
  readonly summary: Summary | null;
}

const LINE = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) (\d+(?:\.\d+)?)$/;

/**
 * The run's closing counts from tap output. Only a block of consecutive
 * summary lines that reaches the end of the text counts (a test's own
 * output could print a line that looks like one), and it must have them all.
 */
export function parseTapSummary(tap: string): Summary | null {
  const lines = tap.split('\n').map((l) => l.trimEnd());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const found: Partial<Summary> = {};
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = LINE.exec(lines[i] ?? '');
    if (!m) break;
    const key = m[1] as SummaryKey;
    if (!(key in found)) found[key] = Number(m[2]);
  }
  for (const key of SUMMARY_KEYS) if (found[key] === undefined) return null;
  return found as Summary;
}

function countsLine(s: Summary): string {
  return `tests ${s.tests}, pass ${s.pass}, fail ${s.fail}, cancelled ${s.cancelled}, skipped ${s.skipped}, todo ${s.todo}`;
}

/** Whether a pass counts as passed: exit status 0 and no failed or cancelled test. */
export function passOk(p: PassResult): boolean {
  return p.exitCode === 0 && (p.summary === null || p.summary.fail + p.summary.cancelled === 0);
}

/**
 * Closing lines after all passes (tap comments): the totals over every pass,
 * then one line per Node.js, then a verdict naming the passes that failed
 * and saying how many of the `planned` ones never ran (stopped by a signal).
 */
export function formatPasses(passes: readonly PassResult[], planned = passes.length): string[] {
  const out: string[] = [];
  const summaries = passes.flatMap((p) => (p.summary ? [p.summary] : []));
  if (passes.length > 1 && summaries.length > 0) {
    out.push(`# totals over ${passes.length} Node.js passes`);
    for (const key of SUMMARY_KEYS) {
      const sum = summaries.reduce((acc, s) => acc + s[key], 0);
      out.push(`# ${key} ${key === 'duration_ms' ? sum.toFixed(3) : sum}`);
    }
  }
  for (const p of passes) {
    const counts = p.summary ? countsLine(p.summary) : 'no summary';
    out.push(`# node ${p.node}: ${counts}; exit ${p.exitCode} (${passOk(p) ? 'ok' : 'FAILED'})`);
  }
  const failed = passes.filter((p) => !passOk(p));
  const notRun = planned - passes.length;
  if (failed.length === 0 && notRun <= 0) {
    out.push(`# all ${planned} Node.js pass${planned === 1 ? '' : 'es'} passed`);
  } else {
    const what: string[] = [];
    if (failed.length > 0) {
      what.push(`${failed.length} FAILED (${failed.map((p) => p.node).join(', ')})`);
    }
    if (notRun > 0) what.push(`${notRun} not run (stopped)`);
    out.push(`# of ${planned} Node.js passes: ${what.join(', ')}`);
  }
  return out;
}
