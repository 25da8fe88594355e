// Finds a Temporal CLI for the dev server, in this order:
//   1. $TEMPORAL_CLI (must be an executable file, else an error),
//   2. `temporal` on PATH,
//   3. the per-machine cache ${XDG_CACHE_HOME:-$HOME/.cache}/syncline/temporal-cli-1.5.1/temporal,
//   4. a fresh `go install` into that cache (when Go is available and `build` is not false),
//   5. undefined: let the Temporal SDK download its own CLI (needs internet).
// Progress goes to stderr (never stdout) so `npm run --silent temporal:path` prints only the path.
import { spawn } from 'node:child_process';
import { constants, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';
// Later CLI versions refuse `go install` (replace directives in their go.mod).
const GO_MODULE = `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`;
const GO_FALLBACK = '/usr/local/go/bin/go';
/** Longer than any build; a lock older than this is left over from a killed build. */
const STALE_LOCK_MS = 30 * 60_000;

export interface ResolveTemporalCliOptions {
  /** Build the CLI with Go when nothing else is found (default true). */
  build?: boolean;
  /** Progress messages (default: stderr). */
  log?: (msg: string) => void;
}

/** The directory holding the cached CLI build: `${XDG_CACHE_HOME:-$HOME/.cache}/syncline/temporal-cli-<version>`. */
export function cacheDirectory(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(process.env.HOME || os.homedir(), '.cache');
  return path.resolve(base, 'syncline', `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

/** Where the cached CLI binary lives (it may not exist yet). */
export function cachedCliPath(): string {
  return path.join(cacheDirectory(), 'temporal');
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) return false;
    await fs.access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Like `which`: the first executable `name` in the PATH directories (then `extraDirs`), as an absolute path. */
export async function findOnPath(name: string, extraDirs: string[] = []): Promise<string | undefined> {
  // Empty PATH entries mean "the current directory" to a shell; never trust that for a binary.
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter((dir) => dir !== '' && path.isAbsolute(dir));
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

function run(command: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    // stdout and stderr both go to our stderr (fd 2); no stdin, so CI without a terminal works.
    const child = spawn(command, args, { ...options, stdio: ['ignore', 2, 2] });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`\`${command} ${args.join(' ')}\` failed (${signal ? `signal ${signal}` : `exit code ${code}`})`));
    });
  });
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock file was left by a process that is gone (same host) or is older than any build. */
async function lockIsStale(lockFile: string): Promise<boolean> {
  try {
    const [stat, content] = await Promise.all([fs.stat(lockFile), fs.readFile(lockFile, 'utf8')]);
    if (Date.now() - stat.mtimeMs > STALE_LOCK_MS) return true;
    const [pidText, host] = content.split('\n');
    const pid = Number(pidText);
    return host === os.hostname() && Number.isInteger(pid) && pid > 0 && !processIsAlive(pid);
  } catch {
    // Vanished in between (released): not stale, just try again. Unreadable/empty content right
    // after creation by another process: give it the benefit of the doubt.
    return false;
  }
}

/** Runs `body` while holding an exclusive lock file, so concurrent callers don't build twice. */
async function withLock<T>(lockFile: string, log: (msg: string) => void, body: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + STALE_LOCK_MS;
  let announced = false;
  for (;;) {
    try {
      const handle = await fs.open(lockFile, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n${os.hostname()}\n`);
      } finally {
        await handle.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (await lockIsStale(lockFile)) {
        log(`removing stale lock ${lockFile}`);
        await fs.rm(lockFile, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile} (remove it if no build is running)`);
      if (!announced) {
        log(`another process is building the Temporal CLI (${lockFile}); waiting for it…`);
        announced = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
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
  const binary = cachedCliPath();
  await fs.mkdir(dir, { recursive: true });
  return withLock(path.join(dir, '.build.lock'), log, async () => {
    // Whoever held the lock before us may have finished the build.
    if (await isExecutableFile(binary)) return binary;
    // We hold the lock, so any staging directory left behind is from a killed build.
    for (const entry of await fs.readdir(dir)) {
      if (entry.startsWith('.build-')) await fs.rm(path.join(dir, entry), { recursive: true, force: true });
    }
    const staging = await fs.mkdtemp(path.join(dir, '.build-'));
    try {
      log(`building Temporal CLI v${TEMPORAL_CLI_VERSION} into ${dir} with ${go} (a few minutes, once per machine)…`);
      const started = Date.now();
      await run(go, ['install', GO_MODULE], {
        cwd: staging, // outside any Go module, so the repository's files never matter
        env: { ...process.env, GOTOOLCHAIN: 'local', GOBIN: staging },
      });
      const built = path.join(staging, 'temporal');
      if (!(await isExecutableFile(built))) throw new Error(`go install finished but ${built} is missing`);
      await run(built, ['--version'], { cwd: staging, env: process.env });
      // Same filesystem, so the rename is atomic: a half-built binary is never at `binary`.
      await fs.rename(built, binary);
      log(`built ${binary} in ${Math.round((Date.now() - started) / 1000)} s`);
      return binary;
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
  });
}

/**
 * The absolute path of a Temporal CLI, or undefined when none is found and none can be built
 * (the Temporal SDK then downloads its own, which only works with internet access).
 */
export async function resolveTemporalCli(opts: ResolveTemporalCliOptions = {}): Promise<string | undefined> {
  const log = opts.log ?? ((msg: string) => void process.stderr.write(`${msg}\n`));

  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    const absolute = path.resolve(fromEnv);
    if (!(await isExecutableFile(absolute))) {
      throw new Error(`TEMPORAL_CLI=${fromEnv} is not an executable file; unset it to let Syncline find or build the Temporal CLI`);
    }
    return absolute;
  }

  const onPath = await findOnPath('temporal');
  if (onPath) return onPath;

  const cached = cachedCliPath();
  if (await isExecutableFile(cached)) return cached;

  if (opts.build !== false) {
    const go = await findOnPath('go', [path.dirname(GO_FALLBACK)]);
    if (go) return buildIntoCache(go, log);
  }
  return undefined;
}
