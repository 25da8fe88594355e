// The targets `npm run bench` is judged by (issue 6), checked against each run's figures so that
// every bench says plainly which hold. Throughput, Temporal overhead and memory are set at
// 1,000,000 records (a small run's fixed costs weigh more): at other sizes they are reported as not
// judged rather than as met or missed; memory growth compares a scenario's peak there with its
// peak in a run of 100,000 records. History and payload bounds hold at any size.
export const GOAL_RECORDS = 1_000_000;

/** Records per second end to end, per scenario. */
export const THROUGHPUT_GOALS: Readonly<Record<string, number>> = {
  'full-http': 20_000,
  'delta-1pct': 60_000,
  unchanged: 80_000,
  'full-pg': 25_000,
};

export const MAX_TEMPORAL_OVERHEAD_SHARE = 0.15;
export const MAX_WORKER_PEAK_RSS_MB = 300;
/**
 * "Within 20% of its value at 100,000 records (memory does not grow with N)": a scenario's peak at
 * 1,000,000 records may be at most this much above the same scenario's peak at the reference size,
 * which `npm run bench` measures in a fresh stack of its own before the goal-size runs.
 */
export const MEMORY_REFERENCE_RECORDS = 100_000;
export const MAX_PEAK_GROWTH_PERCENT = 20;
/** "No run's history exceeds 2,000 events before continuing as new." */
export const MAX_HISTORY_EVENTS = 2_000;
export const MAX_PAYLOAD_BYTES = 64 * 1024;

/** What the goals need of a scenario's figures (a subset of the bench's RunFigures). */
export interface JudgedFigures {
  scenario: string;
  records: number;
  recordsPerSecond: number;
  temporalOverheadShare: number;
  workerPeakRssMb: number;
  /** The same scenario's worker peak in a smaller run, when the bench made one. */
  reference?: ReferencePeak;
  maxHistoryEvents: number;
  largestPayloadBytes: number;
}

/** A scenario's worker peak in a run of `records`, which a goal-size run's peak is compared with. */
export interface ReferencePeak {
  records: number;
  peakRssMb: number;
}

export interface Verdict {
  scenario: string;
  goal: string;
  measured: string;
  /** null: not judged (at this size, or for want of a reference run: `notJudged` says why). */
  holds: boolean | null;
  notJudged?: string;
}

/**
 * A run's share of raw-copy, the machine's ceiling: of the mean of the raw-copy rates measured just
 * before and just after the run, so that a machine whose speed moves during the bench moves both.
 */
export function shareOfRawCopy(recordsPerSecond: number, rawCopyBefore: number, rawCopyAfter: number): number {
  return recordsPerSecond / ((rawCopyBefore + rawCopyAfter) / 2);
}

/** The middle of the rates (of the two middle ones, rounded, for an even count): raw-copy's row. */
export function medianRate(rates: readonly number[]): number {
  if (rates.length === 0) throw new Error('no rates to take the median of');
  const sorted = [...rates].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/** A count as the bench's tables print it (1,000,000). */
export const thousands = (n: number) => n.toLocaleString('en-US');

/** One verdict per goal that applies to the scenario (raw-copy, the ceiling, has none). */
export function judge(figures: JudgedFigures): Verdict[] {
  const target = THROUGHPUT_GOALS[figures.scenario];
  if (target === undefined) return [];
  const atGoalSize = figures.records === GOAL_RECORDS;
  const verdict = (goal: string, measured: string, holds: boolean | null, notJudged?: string): Verdict => ({
    scenario: figures.scenario,
    goal,
    measured,
    holds,
    ...(holds === null && notJudged !== undefined ? { notJudged } : {}),
  });
  const { reference } = figures;
  return [
    verdict(
      `at least ${thousands(target)} records/s`,
      `${thousands(figures.recordsPerSecond)} (${Math.round((figures.recordsPerSecond / target) * 100)}%)`,
      atGoalSize ? figures.recordsPerSecond >= target : null,
    ),
    verdict(
      `Temporal overhead under ${MAX_TEMPORAL_OVERHEAD_SHARE * 100}%`,
      `${(figures.temporalOverheadShare * 100).toFixed(1)}%`,
      atGoalSize ? figures.temporalOverheadShare < MAX_TEMPORAL_OVERHEAD_SHARE : null,
    ),
    verdict(`worker peak RSS under ${MAX_WORKER_PEAK_RSS_MB} MB`, `${figures.workerPeakRssMb} MB`, atGoalSize ? figures.workerPeakRssMb < MAX_WORKER_PEAK_RSS_MB : null),
    verdict(
      `worker peak RSS within ${MAX_PEAK_GROWTH_PERCENT}% of its value at ${thousands(MEMORY_REFERENCE_RECORDS)} records`,
      reference === undefined ? `${figures.workerPeakRssMb} MB` : `${figures.workerPeakRssMb} MB against ${reference.peakRssMb} MB at ${thousands(reference.records)} (${signedPercent(figures.workerPeakRssMb / reference.peakRssMb - 1)})`,
      // In whole numbers, as both peaks are reported (no rounding error at the bound): 20% over is still within.
      atGoalSize && reference?.records === MEMORY_REFERENCE_RECORDS ? figures.workerPeakRssMb * 100 <= reference.peakRssMb * (100 + MAX_PEAK_GROWTH_PERCENT) : null,
      atGoalSize ? `no run at ${thousands(MEMORY_REFERENCE_RECORDS)} records to compare with` : undefined,
    ),
    verdict(`at most ${thousands(MAX_HISTORY_EVENTS)} events per execution`, thousands(figures.maxHistoryEvents), figures.maxHistoryEvents <= MAX_HISTORY_EVENTS),
    verdict(`no payload over ${MAX_PAYLOAD_BYTES / 1024} KB`, `${thousands(figures.largestPayloadBytes)} B`, figures.largestPayloadBytes <= MAX_PAYLOAD_BYTES),
  ];
}

const signedPercent = (share: number) => `${share >= 0 ? '+' : ''}${(share * 100).toFixed(1)}%`;

/** A markdown table: the header row, its rule, then one row per entry (the bench's tables). */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** The verdicts as a markdown table, with a last line counting what holds. */
export function verdictTable(verdicts: readonly Verdict[]): string {
  const word = (v: Verdict) => (v.holds === null ? `not judged (${v.notJudged ?? `goals are set at ${thousands(GOAL_RECORDS)} records`})` : v.holds ? 'holds' : 'MISSED');
  const table = markdownTable(['scenario', 'goal', 'measured', 'verdict'], verdicts.map((v) => [v.scenario, v.goal, v.measured, word(v)]));
  const judged = verdicts.filter((v) => v.holds !== null);
  const missed = judged.filter((v) => !v.holds);
  return `${table}\n\n${judged.length - missed.length} of ${judged.length} judged goals hold${missed.length ? `; missed: ${missed.map((v) => `${v.scenario} ${v.goal}`).join(', ')}` : ''}.`;
}
