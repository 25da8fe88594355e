// Finds a Temporal CLI to run the dev server: $TEMPORAL_CLI, `temporal` on PATH, the cached build
// outside the clone, a fresh `go install` into that cache, or (undefined) the SDK's own download,
// which needs internet.
import { spawn } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
const MODULE = `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;

export function cacheDirectory(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'syncline', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function onPath(name: string, extraDirs: string[] = []): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return path.resolve(candidate);
  }
  return undefined;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    // go's progress goes to stderr so `npm run --silent temporal:path` prints only the path.
    const child = spawn(command, args, { env, stdio: ['ignore', process.stderr, process.stderr] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

async function withLock<T>(lockFile: string, body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      const handle = await fs.open(lockFile, 'wx');
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const stat = await fs.stat(lockFile).catch(() => undefined);
      // A lock older than the longest build is left over from a killed build.
      if (stat && Date.now() - stat.mtimeMs > 15 * 60_000) await fs.rm(lockFile, { force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  try {
    return await body();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

async function buildIntoCache(go: string, log: (msg: string) => void): Promise<string> {
  const dir = cacheDirectory();
  const binary = path.join(dir, 'temporal');
  await fs.mkdir(dir, { recursive: true });
  return withLock(path.join(dir, '.build.lock'), async () => {
    if (await isExecutable(binary)) return binary; // built by whoever held the lock
    const staging = await fs.mkdtemp(path.join(dir, '.build-'));
    try {
      log(`building Temporal CLI v${TEMPORAL_CLI_VERSION} with go install (a few minutes, once per machine)…`);
      await run(go, ['install', MODULE], { ...process.env, GOTOOLCHAIN: 'local', GOBIN: staging });
      // Rename into place so a half-built binary is never picked up.
      await fs.rename(path.join(staging, 'temporal'), binary);
      return binary;
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  });
}

export async function resolveTemporalCli(opts: { build?: boolean; log?: (msg: string) => void } = {}): Promise<string | undefined> {
  const log = opts.log ?? ((msg: string) => process.stderr.write(`${msg}\n`));
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!(await isExecutable(fromEnv))) throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file`);
    return path.resolve(fromEnv);
  }
  const installed = await onPath('temporal');
  if (installed) return installed;
  const cached = path.join(cacheDirectory(), 'temporal');
  if (await isExecutable(cached)) return cached;
  if (opts.build !== false) {
    const go = await onPath('go', ['/usr/local/go/bin']);
    if (go) return buildIntoCache(go, log);
  }
  return undefined;
}
