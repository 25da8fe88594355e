// `npm run worker`: one worker process. Scale out by starting more of them on the same task queue.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConnectionPools } from '../activities/connectors/postgres-destination';
import { loadConfig } from '../config';
import { createDatabase } from '../db/client';
import { createSecretBox } from '../db/secrets';
import { createSynclineWorker } from './create-worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const address = config.temporalAddress ?? '127.0.0.1:7233';
  const connection = await NativeConnection.connect({ address });
  // The process's one client: schedule-run activities describe their schedule through it.
  const clientConnection = await Connection.connect({ address });
  const temporal = new Client({ connection: clientConnection, namespace: config.temporalNamespace });
  const database = createDatabase(config.databaseUrl);
  const pools = new ConnectionPools();
  try {
    const worker = await createSynclineWorker({
      connection,
      namespace: config.temporalNamespace,
      taskQueue: config.taskQueue,
      deps: { database, secretBox: createSecretBox(config.secretKey), pools, temporal, logRetention: config.runLogRetention },
      // A prebuilt bundle spares each worker webpack's time and its few hundred MB at start.
      ...(config.workflowBundlePath ? { workflowBundle: { codePath: config.workflowBundlePath } } : {}),
    });
    console.log(`worker polling task queue "${config.taskQueue}" on ${address} (namespace ${config.temporalNamespace})`);
    await worker.run(); // returns after SIGINT/SIGTERM and a graceful shutdown
  } finally {
    await pools.closeAll();
    await database.close();
    await connection.close();
    await clientConnection.close();
  }
}

main().catch((err: unknown) => {
  console.error('worker failed:', err);
  process.exit(1);
});
