// One way to read a page from any source connector, so the import step does not care which
// kind of system it reads.
import { SyncError } from '../errors';
import type { Connection } from '../task-context';
import { readFilePage, type FileConfig } from './file';
import { fetchSourcePage } from './http-json-source';
import type { ConnectionPools, PostgresConnectionConfig } from './postgres-destination';
import { readPostgresPage } from './postgres-source';
import type { HttpJsonConfig, HttpJsonSecrets, JsonObject, SourcePage } from './types';

export interface SourceRead {
  source: Connection;
  entity: string;
  idField: string;
  resultsPosition?: string;
  incrementalField?: string;
  cursor: string | null;
  pageSize: number;
  /** Only records past this watermark (delta import), where the source can filter. */
  since: string | null;
  signal?: AbortSignal;
}

export interface SourceReadResult extends SourcePage {
  /** Largest incremental value on this page, when the task has an incremental field. */
  watermark: string | null;
}

export const SOURCE_CONNECTOR_TYPES = ['http-json', 'postgres', 'file'] as const;

export async function readSourcePage(pools: ConnectionPools, read: SourceRead): Promise<SourceReadResult> {
  const { source } = read;
  switch (source.connectorType) {
    case 'http-json': {
      const page = await fetchSourcePage({
        config: source.config as unknown as HttpJsonConfig,
        secrets: source.secrets as HttpJsonSecrets,
        entity: { entity: read.entity, resultsPosition: read.resultsPosition, idField: read.idField },
        cursor: read.cursor,
        pageSize: read.pageSize,
        ...(read.signal ? { signal: read.signal } : {}),
      });
      return { ...page, watermark: read.incrementalField ? maxWatermark(page.records, read.incrementalField) : null };
    }
    case 'postgres': {
      const config = source.config as unknown as PostgresConnectionConfig;
      return readPostgresPage({
        sql: pools.get(source.version, config, source.secrets.password as string | undefined),
        table: read.entity,
        ...(config.schema ? { defaultSchema: config.schema } : {}),
        idField: read.idField,
        cursor: read.cursor,
        pageSize: read.pageSize,
        ...(read.incrementalField ? { incrementalField: read.incrementalField, since: read.since } : {}),
      });
    }
    case 'file': {
      const page = await readFilePage({
        config: source.config as unknown as FileConfig,
        file: read.entity,
        cursor: read.cursor,
        pageSize: read.pageSize,
        ...(read.signal ? { signal: read.signal } : {}),
      });
      return { ...page, watermark: read.incrementalField ? maxWatermark(page.records, read.incrementalField) : null };
    }
    default:
      throw new SyncError('SOURCE_UNSUPPORTED', `Connector type ${source.connectorType} cannot be a source`, false);
  }
}

/** Largest value of a field on a page: numbers compared as numbers, anything else as text. */
export function maxWatermark(records: JsonObject[], field: string): string | null {
  let best: string | number | null = null;
  for (const record of records) {
    const value = record[field];
    if (value === null || value === undefined || typeof value === 'object') continue;
    const v = typeof value === 'number' ? value : String(value);
    if (best === null || (typeof v === 'number' && typeof best === 'number' ? v > best : String(v) > String(best))) best = v;
  }
  return best === null ? null : String(best);
}

/** The larger of two watermarks, compared like maxWatermark does. */
export function laterWatermark(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na >= nb ? a : b;
  return a >= b ? a : b;
}
