// Trying a connection and discovering its entities, for the connected-system routes. Short-lived:
// a PostgreSQL probe opens its own single connection and closes it.
import { openPool, type Sql } from '../../db/client';
import { SyncError } from '../errors';
import { discoverFiles, discoverHttpJson, discoverPostgres, type DiscoveredSchema } from './discovery';
import { testFileConnection, type FileConfig } from './file';
import { fetchSourcePage } from './http-json-source';
import { connectionOptions, type PostgresConnectionConfig } from './postgres-destination';
import { testPostgresConnection } from './postgres-source';
import type { HttpJsonConfig, HttpJsonSecrets } from './types';

export interface ProbeTarget {
  connectorType: string;
  config: Record<string, unknown>;
  secrets: Record<string, unknown>;
}

export interface EntityHint {
  entity: string;
  resultsPosition?: string;
  idField?: string;
}

async function withPostgres<T>(target: ProbeTarget, body: (sql: Sql) => Promise<T>): Promise<T> {
  const config = target.config as unknown as PostgresConnectionConfig;
  const password = target.secrets.password as string | undefined;
  const sql = openPool(undefined, { ...connectionOptions(config, password), max: 1, connect_timeout: 10 });
  try {
    return await body(sql);
  } finally {
    await sql.end({ timeout: 2 });
  }
}

/** Tries the connection: `ok` false with the reason when it does not work. */
export async function probeConnection(target: ProbeTarget, hint?: EntityHint): Promise<{ ok: boolean; message: string }> {
  switch (target.connectorType) {
    case 'postgres':
      return withPostgres(target, (sql) => testPostgresConnection(sql, (target.config as { schema?: string }).schema));
    case 'file':
      return testFileConnection(target.config as unknown as FileConfig);
    case 'http-json':
      try {
        const page = await fetchSourcePage({
          config: target.config as unknown as HttpJsonConfig,
          secrets: target.secrets as HttpJsonSecrets,
          entity: { entity: hint?.entity ?? '', idField: hint?.idField ?? 'id', ...(hint?.resultsPosition ? { resultsPosition: hint.resultsPosition } : {}) },
          cursor: null,
          pageSize: 1,
        });
        return { ok: true, message: `Reached ${hint?.entity ?? 'the base URL'}: ${page.records.length} record(s) on a 1-record page` };
      } catch (err) {
        if (err instanceof SyncError) {
          // The server answered, just not with a list of records at the base URL: reachable.
          const reachable = err.code === 'SOURCE_BAD_RESPONSE' || (err.code === 'SOURCE_HTTP_404' && !hint);
          return { ok: reachable, message: reachable ? `Reachable (${err.message})` : err.message };
        }
        return { ok: false, message: err instanceof Error ? err.message : String(err) };
      }
    default:
      return { ok: false, message: `Unknown connector type ${target.connectorType}` };
  }
}

/** Entities and fields: a sample page per entity (http-json), information_schema (postgres), file headers (file). */
export async function discoverConnectionSchema(target: ProbeTarget, hints: EntityHint[]): Promise<DiscoveredSchema> {
  switch (target.connectorType) {
    case 'postgres':
      return withPostgres(target, (sql) => discoverPostgres(sql, (target.config as { schema?: string }).schema ?? 'public'));
    case 'file':
      return discoverFiles(target.config as unknown as FileConfig);
    case 'http-json':
      return discoverHttpJson({
        config: target.config as unknown as HttpJsonConfig,
        secrets: target.secrets as HttpJsonSecrets,
        entities: hints,
      });
    default:
      throw new SyncError('CONNECTOR_UNSUPPORTED', `Unknown connector type ${target.connectorType}`, false);
  }
}
