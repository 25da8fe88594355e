// `npm run temporal:start`: a standalone dev server on 7233 (UI 8233) that keeps its state in
// .syncline/temporal.db, for running `npm run worker` and `npm run api` by hand.
import { mkdirSync } from 'node:fs';
import { resolveTemporalCli } from './temporal-cli';
import { startTemporalDevServer } from './temporal-server';

async function main(): Promise<void> {
  const cliPath = await resolveTemporalCli();
  if (!cliPath) throw new Error('No Temporal CLI found and no Go toolchain to build one: set TEMPORAL_CLI');
  mkdirSync('.syncline', { recursive: true });
  const server = await startTemporalDevServer({
    cliPath,
    port: Number(process.env.TEMPORAL_PORT ?? 7233),
    uiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
    dbFilename: '.syncline/temporal.db',
  });
  console.log(`Temporal dev server on ${server.address}; UI at ${server.uiUrl}`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
