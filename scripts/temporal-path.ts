// `npm run --silent temporal:path`: prints the absolute path of the Temporal CLI (building it if needed).
import { resolveTemporalCli } from './temporal-cli';

resolveTemporalCli().then(
  (cli) => {
    if (!cli) {
      process.stderr.write('No Temporal CLI found and no Go toolchain to build one: set TEMPORAL_CLI or install Go.\n');
      process.exit(1);
    }
    process.stdout.write(`${cli}\n`);
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
