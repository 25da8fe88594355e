// `npm run api`: wires configuration and real dependencies into createApp and serves it.
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { createDatabase } from '../db/client';
import { createSecretBox } from '../db/secrets';
import { createApp, type AppDeps } from './app';
import { startRunReconciler } from './run-reconciler';
import { reconcileSchedules } from './schedule-monitor';

async function main(): Promise<void> {
  const config = loadConfig();
  const address = config.temporalAddress ?? '127.0.0.1:7233';
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: config.temporalNamespace });
  const database = createDatabase(config.databaseUrl);
  const secretBox = createSecretBox(config.secretKey);
  if (secretBox.usesDevelopmentKey) console.warn('SYNCLINE_SECRET_KEY is unset: connection secrets are encrypted with the development key');

  const deps: AppDeps = {
    db: database.db,
    temporal: { client, taskQueue: config.taskQueue },
    secretBox,
    ...(config.adminKey ? { adminKey: config.adminKey } : {}),
  };
  // Schedules present on one side only (a crash between the two writes, a hand-made change) are
  // put back in step before the API serves.
  const reconciled = await reconcileSchedules(deps);
  if (reconciled.created.length + reconciled.deleted.length > 0) {
    console.log(`schedules reconciled: created in Temporal ${JSON.stringify(reconciled.created)}, deleted from Temporal ${JSON.stringify(reconciled.deleted)}`);
  }
  const app = createApp(deps);
  // Runs whose workflow ended without recording it (terminated from Temporal UI, say) get their real end.
  const reconciler = startRunReconciler(deps);
  const server = serve({ fetch: app.fetch, port: config.port, hostname: '0.0.0.0' }, (info) => {
    console.log(`API listening on http://127.0.0.1:${info.port}/api/v1 (OpenAPI at /openapi.json, docs at /docs)`);
  });

  const shutdown = () => {
    server.close(() => {
      void reconciler
        .stop()
        .then(() => Promise.allSettled([database.close(), connection.close()]))
        .then(() => process.exit(0));
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
  console.error('API failed to start:', err);
  process.exit(1);
});
