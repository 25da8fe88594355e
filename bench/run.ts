// `npm run bench [-- --scenario NAME[,NAME...]] [--records N] [--page-size P] [--source-latency-ms L] [--source-on-request]
//  [--reference-records R]`:
// end-to-end figures against the real stack (Temporal dev server, PostgreSQL, the built worker in
// its own process, a generated HTTP source that renders its pages before each run, or with
// --source-on-request as they are asked for), every scenario through the public API. Prints one
// table row per scenario and saves the figures under bench/results/. Every figure comes from a run
// whose destination holds exactly the source's rows (count and checksum), or the bench fails;
// a second table says which of the goals in bench/goals.ts the figures meet. At 1,000,000 records
// the scenarios first run at 100,000 (--reference-records, 0 to skip) in a stack of their own, for
// the goal that memory does not grow with N; each run's worker peak is its own.
//
//   raw-copy    COPY of the rows straight into a table with postgres.js: this machine's ceiling,
//               measured before the first run and after each (a run's share is of the two beside it)
//   full-http   N records HTTP JSON → PostgreSQL table, empty destination
//   delta-1pct  the same job again with 1% of the source records changed
//   unchanged   the same job again with nothing changed
//   full-pg     N-row PostgreSQL table (the raw-copy table) → another PostgreSQL table
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { expectedChecksum, generatedRecord, startGeneratedSource } from './generated-source';
import { eventCount, largestPayloadBytes, workflowHistories } from '../test/helpers/history';
import { GOAL_RECORDS, judge, markdownTable, medianRate, MEMORY_REFERENCE_RECORDS, shareOfRawCopy, thousands, verdictTable, type ReferencePeak } from './goals';
import { call, saveResult, startBenchStack, waitForRun, type BenchStack } from './harness';
import { copyField } from '../db/copy';

const SCENARIOS = ['raw-copy', 'full-http', 'delta-1pct', 'unchanged', 'full-pg'] as const;
type Scenario = (typeof SCENARIOS)[number];
const SEED = 1;
const CHANGE_SEED = 2;

const STEP_OF_ACTIVITY: Record<string, string> = {
  importPage: 'import',
  mapPage: 'map',
  diffPage: 'diff',
  upsertPage: 'upsert',
  exportPage: 'export',
  synchronisePage: 'map',
};

interface RunFigures {
  scenario: Scenario;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  /** Of the mean of the raw-copy rates measured just before and just after the run. */
  ratioToRawCopy: number | null;
  /** A run's: those two raw-copy rates, records/s. */
  rawCopyBeside?: [number, number];
  /** raw-copy's row: every raw-copy rate the bench measured, records/s, in order. */
  rawCopyRuns?: number[];
  stepSeconds: Record<string, number>;
  temporalOverheadSeconds: number;
  temporalOverheadShare: number;
  workerPeakRssMb: number;
  executions: number;
  maxHistoryEvents: number;
  largestPayloadBytes: number;
  sourceRequests: number;
  /** Source pages whose answer the imports recognised as one read before (neither parsed nor hashed). */
  pagesRecognised: number;
  /** Records whose id and hash the imports knew from an answer read before, without parsing them. */
  recordsRecognised: number;
  /** CPU seconds each process used during the run (2 cores give 2 CPU seconds per second). */
  cpuSeconds: Record<string, number>;
  state: string;
  counts: Record<string, number>;
}

interface BenchOptions {
  records: number;
  wanted: Scenario[];
  pageSize: number;
  sourceLatencyMs: number;
  sourceOnRequest: boolean;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'all' },
      records: { type: 'string', default: '1000000' },
      'page-size': { type: 'string', default: '10000' },
      // A remote API's round trip: each page is answered this much later (0: at once).
      'source-latency-ms': { type: 'string', default: '0' },
      // The source generates each page when it is asked for it, on the cores the run uses, instead
      // of serving pages it rendered before the run (a remote source's work costs this machine nothing).
      'source-on-request': { type: 'boolean', default: false },
      // The size whose peaks the goal-size peaks are compared with; 0 skips that run.
      'reference-records': { type: 'string' },
    },
  });
  const sourceLatencyMs = Number(values['source-latency-ms']);
  if (!Number.isInteger(sourceLatencyMs) || sourceLatencyMs < 0) throw new Error(`--source-latency-ms must be a non-negative integer, got ${values['source-latency-ms']}`);
  const records = Number(values.records);
  const pageSize = Number(values['page-size']);
  if (!Number.isInteger(records) || records < 1) throw new Error(`--records must be a positive integer, got ${values.records}`);
  // One scenario, several separated by commas (`full-http,unchanged`), or all.
  const wanted = values.scenario === 'all' ? [...SCENARIOS] : (values.scenario.split(',') as Scenario[]);
  if (!wanted.every((s) => SCENARIOS.includes(s))) throw new Error(`--scenario must be all or any of ${SCENARIOS.join(', ')}, separated by commas`);
  // The memory goal compares each scenario's peak with its peak at 100,000 records: a bench at the
  // goals' size measures that first, in a fresh stack (a worker of its own, so neither run's peak
  // is the other's). --reference-records 0 skips it, and the goal is then reported as not judged.
  const referenceRecords = values['reference-records'] === undefined ? (records === GOAL_RECORDS ? MEMORY_REFERENCE_RECORDS : 0) : Number(values['reference-records']);
  if (!Number.isInteger(referenceRecords) || referenceRecords < 0 || referenceRecords >= records) {
    throw new Error(`--reference-records must be 0 or a positive integer below --records, got ${values['reference-records']}`);
  }
  const options = { wanted, pageSize, sourceLatencyMs, sourceOnRequest: values['source-on-request'] };

  let references = new Map<Scenario, ReferencePeak>();
  // raw-copy has no worker, so no peak: alone, it needs no reference run.
  const judgedOnMemory = wanted.filter((s) => s !== 'raw-copy');
  if (referenceRecords > 0 && judgedOnMemory.length > 0) {
    console.log(`At ${thousands(referenceRecords)} records first, for the memory goal:\n`);
    const rows = await benchAt({ ...options, records: referenceRecords, wanted: judgedOnMemory });
    references = new Map(rows.map((row) => [row.scenario, { records: referenceRecords, peakRssMb: row.workerPeakRssMb }]));
    console.log('');
  }
  await benchAt({ ...options, records }, references);
}

/**
 * Runs the scenarios at one size in a stack of their own (Temporal, database, worker, source),
 * verifies every run, prints the figures and their verdicts (the memory goal's against each
 * scenario's peak in `references`) and saves each scenario's under bench/results/. Returns the figures.
 */
async function benchAt(
  { records, wanted, pageSize, sourceLatencyMs, sourceOnRequest }: BenchOptions,
  references: ReadonlyMap<Scenario, ReferencePeak> = new Map(),
): Promise<RunFigures[]> {
  const stack = await startBenchStack();
  const source = await startGeneratedSource({ records, seed: SEED, latencyMs: sourceLatencyMs });
  const rows: RunFigures[] = [];
  try {
    const { app, database } = stack;
    const ws = await call(app, 'POST', '/api/v1/workspaces', { name: 'bench' });
    const warehouse = await call(app, 'POST', '/api/v1/synchronisation/connected-systems', {
      workspaceId: ws.id,
      name: 'warehouse',
      connectorType: 'postgres',
      config: { ...database.connection, schema: 'warehouse' },
    });
    const mapping = await call(app, 'POST', '/api/v1/mappings', {
      workspaceId: ws.id,
      name: 'people',
      mapping: { id: 'id', name: 'name', email: 'email', active: 'active', score: 'score', city: 'address.city', zip: 'address.zip', tags: 'tags', updated_at: 'updatedAt' },
    });

    // raw-copy: the same rows COPYed into a table; full-pg later reads this table. It is measured
    // again after every run, so that each run's share of it is of the machine's ceiling just
    // before and just after that run (a shared machine's speed moves by a third or more within
    // minutes: one measurement at the start made the shares of later runs move with it).
    await database.sql`create schema bench_source`;
    const rawCopyRates = [await rawCopy(database.sql, 'bench_source.people', records)];
    const measureRawCopyAgain = async () => {
      await database.sql`checkpoint`;
      const rate = await rawCopy(database.sql, 'public.bench_raw_copy_again', records);
      await database.sql`drop table public.bench_raw_copy_again`;
      rawCopyRates.push(rate);
      return rate;
    };

    const runJob = async (scenario: Scenario, jobId: number, changeSeed: number | null, table: string, requestsBefore: () => number) => {
      // The scenario before it leaves a lot of its writes in shared buffers: they are flushed now
      // rather than by a checkpoint in the middle of this run.
      await database.sql`checkpoint`;
      // The worker's peak during this run, not the one before it.
      stack.resetWorkerPeak();
      const rawCopyBefore = rawCopyRates.at(-1)!;
      const started = Date.now();
      const before = requestsBefore();
      const cpuBefore = stack.cpuSeconds();
      const { runId } = await call(app, 'POST', `/api/v1/jobs/${jobId}/execute`, {});
      const run = await waitForRun(app, runId, 60 * 60_000, 100);
      const seconds = (Date.now() - started) / 1000;
      const cpuAfter = stack.cpuSeconds();
      const verified = await verifyDestination(stack, table, records, changeSeed);
      const history = await historyFigures(stack.client, run);
      if (run.state !== 'SUCCEEDED') throw new Error(`${scenario}: run ended ${run.state}: ${JSON.stringify(run.errors)}`);
      if (!verified.ok) throw new Error(`${scenario}: destination does not match the source: ${JSON.stringify(verified)}`);
      const rawCopyAfter = await measureRawCopyAgain();
      const entity = run.entityRuns[0] ?? {};
      // Activities overlap (a page imports while the one before it synchronises): the overhead is
      // the wall time during which no activity ran at all.
      const activitySeconds = history.busySeconds;
      const figures: RunFigures = {
        scenario,
        records,
        seconds: round(seconds),
        recordsPerSecond: Math.round(records / seconds),
        ratioToRawCopy: round(shareOfRawCopy(records / seconds, rawCopyBefore, rawCopyAfter), 3),
        rawCopyBeside: [rawCopyBefore, rawCopyAfter],
        stepSeconds: Object.fromEntries(Object.entries(history.activitySeconds).map(([k, v]) => [k, round(v)])),
        temporalOverheadSeconds: round(seconds - activitySeconds),
        temporalOverheadShare: round((seconds - activitySeconds) / seconds, 3),
        workerPeakRssMb: stack.workerPeakRssMb(),
        executions: history.executions,
        maxHistoryEvents: history.maxEvents,
        largestPayloadBytes: history.largestPayload,
        sourceRequests: requestsBefore() - before,
        pagesRecognised: history.pagesRecognised,
        recordsRecognised: history.recordsRecognised,
        cpuSeconds: Object.fromEntries(Object.entries(cpuAfter).map(([k, v]) => [k, round(v - cpuBefore[k as keyof typeof cpuBefore])])),
        state: run.state,
        counts: {
          extracted: Number(entity.extractedRecordCount ?? 0),
          new: Number(entity.newRecordCount ?? 0),
          changed: Number(entity.changedRecordCount ?? 0),
          unchanged: Number(entity.unchangedRecordCount ?? 0),
          errors: Number(entity.errorRecordCount ?? 0),
        },
      };
      return figures;
    };

    const needsHttp = wanted.some((s) => s === 'full-http' || s === 'delta-1pct' || s === 'unchanged');
    if (needsHttp) {
      const http = await call(app, 'POST', '/api/v1/synchronisation/connected-systems', {
        workspaceId: ws.id,
        name: 'people api',
        connectorType: 'http-json',
        config: { baseUrl: source.url, pagination: { type: 'page', pageParam: 'page', sizeParam: 'pageSize' }, totalPath: 'total' },
      });
      const job = await call(app, 'POST', `/api/v1/workspaces/${ws.id}/jobs`, { name: 'people over http', sourceConnectionId: http.id, destinationConnectionId: warehouse.id, batchSize: pageSize });
      await call(app, 'POST', `/api/v1/jobs/${job.id}/tasks`, { sourceEntity: '/records', targetEntity: 'people_http', resultsPosition: 'data.items', mappingId: mapping.id });
      const requests = () => source.requestCount;
      // Before each run, not during it (see --source-on-request).
      const prepareSource = () => {
        if (!sourceOnRequest) source.render(pageSize);
      };
      prepareSource();
      const full = await runJob('full-http', job.id, null, 'warehouse.people_http', requests);
      if (wanted.includes('full-http')) rows.push(full);
      if (wanted.includes('delta-1pct')) {
        source.changeSeed = CHANGE_SEED;
        prepareSource();
        rows.push(await runJob('delta-1pct', job.id, CHANGE_SEED, 'warehouse.people_http', requests));
      }
      if (wanted.includes('unchanged')) rows.push(await runJob('unchanged', job.id, source.changeSeed, 'warehouse.people_http', requests));
    }

    if (wanted.includes('full-pg')) {
      const pgSource = await call(app, 'POST', '/api/v1/synchronisation/connected-systems', {
        workspaceId: ws.id,
        name: 'people table',
        connectorType: 'postgres',
        config: { ...database.connection, schema: 'bench_source' },
      });
      const job = await call(app, 'POST', `/api/v1/workspaces/${ws.id}/jobs`, { name: 'people over pg', sourceConnectionId: pgSource.id, destinationConnectionId: warehouse.id, batchSize: pageSize });
      await call(app, 'POST', `/api/v1/jobs/${job.id}/tasks`, { sourceEntity: 'people', targetEntity: 'people_pg', idField: 'id', mappingId: mapping.id });
      rows.push(await runJob('full-pg', job.id, null, 'warehouse.people_pg', () => 0));
    }

    if (wanted.includes('raw-copy')) {
      const rawRate = medianRate(rawCopyRates);
      rows.unshift({ ...emptyFigures('raw-copy', records), seconds: round(records / rawRate), recordsPerSecond: rawRate, ratioToRawCopy: 1, rawCopyRuns: rawCopyRates, state: 'SUCCEEDED' });
    }
    printTable(rows);
    if (rawCopyRates.length > 1) {
      console.log(`\nraw-copy measured ${rawCopyRates.length} times, before the first run and after each: ${rawCopyRates.map(thousands).join(', ')} records/s` +
        ' (its row gives the median); each run is compared with the mean of the two beside it.');
    }
    const judged = rows.map((row) => {
      const reference = references.get(row.scenario);
      const figures = reference === undefined ? row : { ...row, reference };
      return { figures, goals: judge(figures) };
    });
    console.log(`\n${verdictTable(judged.flatMap(({ goals }) => goals))}`);
    for (const { figures, goals } of judged) await saveResult(`bench-${figures.scenario}`, { ...figures, pageSize, sourceLatencyMs, sourceOnRequest, goals }, database, { quiet: true });
    return rows;
  } finally {
    await source.close();
    await stack.stop();
  }
}

function emptyFigures(scenario: Scenario, records: number): RunFigures {
  return {
    scenario,
    records,
    seconds: 0,
    recordsPerSecond: 0,
    ratioToRawCopy: null,
    stepSeconds: {},
    temporalOverheadSeconds: 0,
    temporalOverheadShare: 0,
    workerPeakRssMb: 0,
    executions: 0,
    maxHistoryEvents: 0,
    largestPayloadBytes: 0,
    sourceRequests: 0,
    pagesRecognised: 0,
    recordsRecognised: 0,
    cpuSeconds: {},
    state: '',
    counts: {},
  };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * raw-copy: the generated rows COPYed with postgres.js straight into a new table of the source's
 * shape (`table`, which must not exist), as fast as this process can generate them. Records/s.
 */
async function rawCopy(sql: BenchStack['database']['sql'], table: string, records: number): Promise<number> {
  const started = Date.now();
  await sql.unsafe(`create table ${table} (id bigint primary key, name text, email text, active boolean, score numeric, "createdAt" timestamptz,
    "updatedAt" timestamptz, address jsonb, tags jsonb, version int)`);
  const writable = await sql.unsafe(`copy ${table} from stdin`).writable();
  await new Promise<void>((resolve, reject) => {
    writable.on('error', reject);
    writable.on('finish', resolve);
    let id = 1;
    const pump = () => {
      while (id <= records) {
        const chunk: string[] = [];
        for (const end = Math.min(records, id + 999); id <= end; id++) {
          const r = generatedRecord(id, SEED, null);
          chunk.push(
            [r.id, copyField(r.name), copyField(r.email), r.active, r.score, r.createdAt, r.updatedAt, copyField(JSON.stringify(r.address)), copyField(JSON.stringify(r.tags)), r.version].join('\t') + '\n',
          );
        }
        if (!writable.write(chunk.join(''))) return void writable.once('drain', pump);
      }
      writable.end();
    };
    pump();
  });
  return Math.round(records / ((Date.now() - started) / 1000));
}

/** The destination holds exactly the source's rows: same count, same checksum of key fields. */
async function verifyDestination(stack: BenchStack, table: string, records: number, changeSeed: number | null) {
  const [row] = await stack.database.sql.unsafe<{ n: number; checksum: string }[]>(
    `select count(*)::int as n, md5(string_agg(_syncline_id || '|' || name || '|' || email || '|' || city, ',' order by _syncline_id::bigint)) as checksum from ${table}`,
  );
  const expected = expectedChecksum(records, SEED, changeSeed);
  return { ok: row!.n === records && row!.checksum === expected, rows: row!.n, expectedRows: records, checksum: row!.checksum, expected };
}

/** What a completed activity returned (undefined for one without a result: bookkeeping). */
function activityResult(result: { payloads?: { data?: Uint8Array | null }[] | null } | null | undefined): { millis?: Record<string, number>; recognised?: number; recordsRecognised?: number } | undefined {
  const data = result?.payloads?.[0]?.data;
  if (!data || data.length === 0) return undefined;
  return (JSON.parse(Buffer.from(data).toString('utf8')) ?? undefined) as { millis?: Record<string, number>; recognised?: number; recordsRecognised?: number } | undefined;
}

/** An activity that runs several steps (synchronisePage, a job page's importPage) reports each one's time: their shares of it. */
function stepShares(result: { millis?: Record<string, number> } | undefined): Record<string, number> | undefined {
  const millis = result?.millis;
  const total = millis ? Object.values(millis).reduce((a, b) => a + b, 0) : 0;
  if (!millis || total === 0) return undefined;
  return Object.fromEntries(Object.entries(millis).map(([name, n]) => [name, n / total]));
}

/** Every execution of the run (continue-as-new chain): events, largest payload, time inside activities by step. */
async function historyFigures(client: Client, run: { workflowId: string; temporalRunId: string }) {
  const histories = await workflowHistories(client, run.workflowId, run.temporalRunId);
  const activitySeconds: Record<string, number> = {};
  const ms = (t: any) => Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  const intervals: [number, number][] = [];
  let pagesRecognised = 0;
  let recordsRecognised = 0;
  for (const history of histories) {
    const typeOf = new Map<string, string>();
    const startedAt = new Map<string, number>();
    for (const ev of history.events ?? []) {
      const id = String(ev.eventId);
      if (ev.activityTaskScheduledEventAttributes) typeOf.set(id, ev.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
      if (ev.activityTaskStartedEventAttributes) startedAt.set(String(ev.activityTaskStartedEventAttributes.scheduledEventId), ms(ev.eventTime));
      const done = ev.activityTaskCompletedEventAttributes ?? ev.activityTaskFailedEventAttributes ?? ev.activityTaskTimedOutEventAttributes;
      if (done) {
        const scheduled = String(done.scheduledEventId);
        const step = STEP_OF_ACTIVITY[typeOf.get(scheduled) ?? '?'] ?? 'bookkeeping';
        const began = startedAt.get(scheduled);
        if (began === undefined) continue;
        const seconds = (ms(ev.eventTime) - began) / 1000;
        intervals.push([began, ms(ev.eventTime)]);
        // synchronisePage, and an importPage that ran every step of its page, report their steps' times.
        const result = activityResult(ev.activityTaskCompletedEventAttributes?.result);
        pagesRecognised += typeof result?.recognised === 'number' ? result.recognised : 0;
        recordsRecognised += typeof result?.recordsRecognised === 'number' ? result.recordsRecognised : 0;
        const split = stepShares(result);
        if (split) for (const [name, share] of Object.entries(split)) activitySeconds[name] = (activitySeconds[name] ?? 0) + seconds * share;
        else activitySeconds[step] = (activitySeconds[step] ?? 0) + seconds;
      }
    }
  }
  return {
    executions: histories.length,
    maxEvents: Math.max(...histories.map(eventCount)),
    largestPayload: Math.max(...histories.map(largestPayloadBytes)),
    activitySeconds,
    busySeconds: coveredMillis(intervals) / 1000,
    pagesRecognised,
    recordsRecognised,
  };
}

/** Milliseconds covered by at least one of the intervals. */
function coveredMillis(intervals: [number, number][]): number {
  let covered = 0;
  let end = -Infinity;
  for (const [start, stop] of [...intervals].sort((a, b) => a[0] - b[0])) {
    if (stop <= end) continue;
    covered += stop - Math.max(start, end);
    end = stop;
  }
  return covered;
}

function printTable(rows: RunFigures[]): void {
  const header = ['scenario', 'records', 'seconds', 'rec/s', 'vs raw-copy', 'import', 'map', 'diff', 'upsert', 'export', 'other acts', 'temporal overhead', 'worker peak RSS', 'executions', 'max events', 'max payload', 'source requests (pages recognised; records known)', 'CPU s: worker / PostgreSQL / Temporal / bench'];
  const lines = rows.map((r) => [
    r.scenario,
    thousands(r.records),
    r.seconds.toFixed(1),
    thousands(r.recordsPerSecond),
    r.ratioToRawCopy === null ? '' : `${(r.ratioToRawCopy * 100).toFixed(1)}%`,
    ...['import', 'map', 'diff', 'upsert', 'export', 'bookkeeping'].map((s) => (r.stepSeconds[s] === undefined ? '' : `${r.stepSeconds[s]!.toFixed(1)} s`)),
    r.scenario === 'raw-copy' ? '' : `${r.temporalOverheadSeconds.toFixed(1)} s (${(r.temporalOverheadShare * 100).toFixed(1)}%)`,
    r.workerPeakRssMb ? `${r.workerPeakRssMb} MB` : '',
    r.executions ? String(r.executions) : '',
    r.maxHistoryEvents ? String(r.maxHistoryEvents) : '',
    r.largestPayloadBytes ? `${r.largestPayloadBytes} B` : '',
    r.scenario.includes('http') || r.scenario === 'delta-1pct' || r.scenario === 'unchanged' ? `${r.sourceRequests} (${r.pagesRecognised}; ${r.recordsRecognised.toLocaleString('en-US')})` : '',
    r.cpuSeconds.worker === undefined ? '' : ['worker', 'postgres', 'temporal', 'bench'].map((k) => r.cpuSeconds[k]!.toFixed(1)).join(' / '),
  ]);
  console.log(markdownTable(header, lines));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
