// `npm run dev`: a whole local Syncline — a Temporal dev server (unless TEMPORAL_ADDRESS is set),
// the migrated database, one worker and the API — in one terminal.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import readline from 'node:readline';
import { loadConfig } from '../config';
import { migrateDatabase } from '../db/migrate';
import { resolveTemporalCli } from './temporal-cli';
import { startTemporalDevServer, type DevServer } from './temporal-server';

const children: ChildProcess[] = [];
let devServer: DevServer | undefined;
let stopping = false;

function startChild(name: string, entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  // Node itself (not npm) so that our signals reach the process that runs the code.
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [child.stdout, child.stderr]) {
    readline.createInterface({ input: stream! }).on('line', (line) => console.log(`[${name}] ${line}`));
  }
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[${name}] exited (code ${code}, signal ${signal}); stopping everything`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
        }),
    ),
  );
  await devServer?.stop();
  process.exit(code);
}

async function main(): Promise<void> {
  const config = loadConfig();
  let temporalAddress = config.temporalAddress;
  let uiUrl: string | undefined;
  if (!temporalAddress) {
    const cliPath = await resolveTemporalCli();
    if (!cliPath) throw new Error('No Temporal CLI found and no Go toolchain to build one: set TEMPORAL_CLI or TEMPORAL_ADDRESS');
    mkdirSync('.syncline', { recursive: true });
    devServer = await startTemporalDevServer({ cliPath, port: 7233, uiPort: config.temporalUiPort ?? 8233, dbFilename: '.syncline/temporal.db' });
    temporalAddress = devServer.address;
    uiUrl = devServer.uiUrl;
    console.log(`Temporal dev server on ${temporalAddress}`);
  }

  try {
    await migrateDatabase(config.databaseUrl);
  } catch (err) {
    throw new Error(
      `Cannot prepare the database at ${config.databaseUrl}: ${err instanceof Error ? err.message : String(err)}\n` +
        'Is PostgreSQL running? On the development machines: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    );
  }
  console.log('database migrated');

  const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress };
  startChild('worker', 'worker/main.ts', env);
  startChild('api', 'api/server.ts', env);

  const base = `http://127.0.0.1:${config.port}`;
  console.log(`\nSyncline is starting:\n  API          ${base}/api/v1\n  API docs     ${base}/openapi.json`);
  console.log(`  Temporal UI  ${uiUrl ?? '(the UI of the Temporal server at TEMPORAL_ADDRESS)'}\n`);
}

process.once('SIGINT', () => void stop(0));
process.once('SIGTERM', () => void stop(0));
main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  void stop(1);
});
