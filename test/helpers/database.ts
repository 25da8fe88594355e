// Each test file gets its own freshly migrated database, dropped at the end.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { loadConfig } from '../../config';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';

export interface TestDatabase extends Database {
  url: string;
  name: string;
  /** Connection settings of the same database, for a `postgres` connected system. */
  connection: { host: string; port: number; database: string; user: string };
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const base = new URL(loadConfig().databaseUrl);
  const name = `syncline_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  await migrateDatabase(url.toString());
  const database = createDatabase(url.toString());
  return {
    ...database,
    url: url.toString(),
    name,
    connection: { host: url.hostname, port: Number(url.port || 5432), database: name, user: decodeURIComponent(url.username || 'postgres') },
    async drop() {
      await database.close();
      const adminUrl = new URL(base);
      adminUrl.pathname = '/postgres';
      const admin = postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
      try {
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}
