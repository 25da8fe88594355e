// `npm run --silent temporal:path`: prints the absolute path of a Temporal CLI on stdout — and
// nothing else there — building it into the per-machine cache first if needed (progress on stderr).
// Exits 1 with a message on stderr when no CLI can be found or built.
import { cachedCliPath, resolveTemporalCli, TEMPORAL_CLI_VERSION } from './temporal-cli';

async function main(): Promise<number> {
  let cli: string | undefined;
  try {
    cli = await resolveTemporalCli();
  } catch (err) {
    process.stderr.write(`temporal:path: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  if (!cli) {
    process.stderr.write(
      `temporal:path: no Temporal CLI found and no Go toolchain to build one.\n` +
        `  Looked at $TEMPORAL_CLI, \`temporal\` on PATH and ${cachedCliPath()}.\n` +
        `  Fix: set TEMPORAL_CLI=/path/to/temporal, or install Go (PATH or /usr/local/go/bin/go) so that\n` +
        `  \`GOTOOLCHAIN=local go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}\` can build it.\n`,
    );
    return 1;
  }
  process.stdout.write(`${cli}\n`);
  return 0;
}

void main().then((code) => {
  process.exitCode = code;
});
