// The real stack for benchmarks: a Temporal dev server, a fresh database, the worker in its own
// process (so its peak memory can be read), and the API app in this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { createApp, type Router } from '../api/app';
import { createSecretBox } from '../db/secrets';
import { BUILT_WORKER, BUILT_WORKFLOW_BUNDLE, buildWorker } from '../scripts/build';
import { resolveTemporalCli } from '../scripts/temporal-cli';
import { startTemporalDevServer } from '../scripts/temporal-server';
import { createTestDatabase, type TestDatabase } from '../test/helpers/database';

export interface BenchStack {
  app: Router;
  client: Client;
  database: TestDatabase;
  worker: ChildProcess;
  /** Peak resident set of the worker process since it started or since resetWorkerPeak, in MB (VmHWM). */
  workerPeakRssMb(): number;
  /** Starts the worker's peak afresh from its resident set now, so that a run's peak is its own. */
  resetWorkerPeak(): void;
  /** CPU seconds used so far by the worker, PostgreSQL (every server process), Temporal and this process (API and source). */
  cpuSeconds(): CpuSeconds;
  stop(): Promise<void>;
}

const SECRET_KEY = 'bench-secret-key-0123456789';
/**
 * The worker's Node flags and environment, read from the `start:worker` script of package.json so
 * that the bench runs the worker exactly as production does, with no copy of them to keep in step.
 * The script gives it a 192 MB heap (at 256 MB the heap grew into the room, and a million-row
 * full-pg run peaked at 310 MB resident; at 224 MB, runs of 300,000 records peaked at up to 301 MB,
 * at 192 MB up to 289 MB, at the same speed), a young generation of 4 MB semi-spaces
 * (the default 16 MB ones hold a page's short-lived garbage a while longer, about 40 MB more
 * resident memory for no measurable speed), one V8 helper thread instead of four (the collector's
 * helpers took about as much CPU as the main thread, and on two cores shared with PostgreSQL the
 * main thread waited for the ones descheduled: first runs 5–13% faster in alternating pairs,
 * README, Performance), and two malloc arenas for the process's threads (V8's, libuv's, the
 * Temporal core's) instead of one per thread, about 12 MB less resident for the same speed. It
 * loads no source maps (with them, every dependency's map was kept too: about 15 MB at the peak).
 */
function startWorkerScript(): { nodeFlags: string[]; env: Record<string, string> } {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = pkg.scripts['start:worker']!.trim().split(/\s+/);
  const node = words.indexOf('node');
  if (node < 0) throw new Error(`package.json's start:worker does not run node: ${pkg.scripts['start:worker']}`);
  const env = Object.fromEntries(words.slice(0, node).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  return { nodeFlags: words.slice(node + 1).filter((w) => w.startsWith('--')), env };
}

export interface CpuSeconds {
  worker: number;
  postgres: number;
  temporal: number;
  bench: number;
}

const TICKS_PER_SECOND = 100;

/** utime + stime of a process from /proc, in seconds; 0 once it is gone. */
function processCpuSeconds(pid: number | string): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/**
 * CPU time by process: the worker, every PostgreSQL server process (a backend's time is lost if it
 * exits, but the worker's and the API's pools hold theirs for the whole run), the Temporal server
 * and this process. Deltas over a run tell where the machine's cores went.
 */
function cpuSecondsOf(workerPid: number): CpuSeconds {
  let postgres = 0;
  let temporal = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm === 'postgres') postgres += processCpuSeconds(entry);
    else if (comm === 'temporal') temporal += processCpuSeconds(entry);
  }
  const own = process.cpuUsage();
  return { worker: processCpuSeconds(workerPid), postgres, temporal, bench: (own.user + own.system) / 1e6 };
}

export async function startBenchStack(): Promise<BenchStack> {
  const cliPath = await resolveTemporalCli();
  if (!cliPath) throw new Error('No Temporal CLI: set TEMPORAL_CLI');
  // The worker as production runs it (`npm run build`, `npm run start:worker`): its peak memory is
  // then its own work, not the TypeScript compiler's or webpack's.
  const [server, database] = await Promise.all([startTemporalDevServer({ cliPath, headless: true }), createTestDatabase(), buildWorker()]);
  const taskQueue = `bench-${randomBytes(4).toString('hex')}`;
  const script = startWorkerScript();
  const worker = spawn(process.execPath, [...script.nodeFlags, BUILT_WORKER], {
    env: {
      ...process.env,
      ...script.env,
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      SYNCLINE_SECRET_KEY: SECRET_KEY,
      LOG_LEVEL: 'warn',
      // The script's path is relative to the project; this process may run from elsewhere.
      WORKFLOW_BUNDLE_PATH: BUILT_WORKFLOW_BUNDLE,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const app = createApp({ db: database.db, temporal: { client, taskQueue }, secretBox: createSecretBox(SECRET_KEY), log: () => {} });
  return {
    app,
    client,
    database,
    worker,
    workerPeakRssMb() {
      const status = readFileSync(`/proc/${worker.pid}/status`, 'utf8');
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
      return Math.round(kb / 1024);
    },
    resetWorkerPeak() {
      // Linux: writing 5 to clear_refs resets VmHWM to the current resident set.
      writeFileSync(`/proc/${worker.pid}/clear_refs`, '5');
    },
    cpuSeconds: () => cpuSecondsOf(worker.pid!),
    async stop() {
      worker.kill('SIGTERM');
      await new Promise((resolve) => worker.once('exit', resolve));
      await connection.close();
      await server.stop();
      await database.drop();
    },
  };
}

export async function call(app: Router, method: string, url: string, body?: unknown): Promise<any> {
  const res = await app.request(url, { method, headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (res.status >= 400) throw new Error(`${method} ${url} → ${res.status}: ${text}`);
  return parsed;
}

/** Polls the run until it ends; `pollMs` bounds how late the end is seen (timed benches use 100). */
export async function waitForRun(app: Router, runId: string, timeoutMs = 30 * 60_000, pollMs = 250): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await call(app, 'GET', `/api/v1/runs/${runId}`);
    if (!['PENDING', 'RUNNING', 'OVERRUN'].includes(run.state)) return run;
    if (Date.now() > deadline) throw new Error(`run ${runId} still ${run.state}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Prints one line and saves the figures with the machine's facts under bench/results/. */
export async function saveResult(name: string, figures: Record<string, unknown>, database: TestDatabase, opts: { quiet?: boolean } = {}): Promise<void> {
  const [pg] = await database.sql<{ version: string }[]>`select version()`;
  const result = { scenario: name, ...figures, node: process.version, cores: os.cpus().length, postgres: pg!.version, date: new Date().toISOString() };
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}-${result.date.slice(0, 19).replaceAll(':', '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
  if (!opts.quiet) console.log(JSON.stringify(result));
}
