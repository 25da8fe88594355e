import { defineConfig } from 'drizzle-kit';
import { loadConfig } from './config';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
  dbCredentials: { url: loadConfig().databaseUrl },
});
