// Schema import: which entities a connected system has and which fields they carry, so mappings
// can be written against them. http-json infers from a sample page, postgres reads
// information_schema, file reads CSV headers and the first JSONL lines.
import type { Sql } from '../../db/client';
import { listDataFiles, fileFormat, readCsvHeader, readFilePage, type FileConfig } from './file';
import { fetchSourcePage } from './http-json-source';
import type { HttpJsonConfig, HttpJsonSecrets, JsonObject, JsonValue } from './types';

export type DiscoveredFieldType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null' | 'datetime' | 'unknown';

export interface DiscoveredField {
  name: string;
  type: DiscoveredFieldType;
}

export interface DiscoveredSchema {
  entities: { name: string; fields: DiscoveredField[] }[];
}

/** Records sampled per entity. */
export const SAMPLE_SIZE = 20;

// ISO 8601 dates and date-times as JSON APIs write them ("2024-05-01", "2024-05-01T10:00:00Z").
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

export function valueType(value: JsonValue | undefined): DiscoveredFieldType {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string') return ISO_DATETIME.test(value) && !Number.isNaN(Date.parse(value)) ? 'datetime' : 'string';
  return Array.isArray(value) ? 'array' : 'object';
}

/** The type covering both: null gives way to anything, integer widens to number, datetime to string. */
export function unionType(a: DiscoveredFieldType, b: DiscoveredFieldType): DiscoveredFieldType {
  if (a === b) return a;
  if (a === 'null') return b;
  if (b === 'null') return a;
  const pair = new Set([a, b]);
  if (pair.has('integer') && pair.has('number')) return 'number';
  if (pair.has('datetime') && pair.has('string')) return 'string';
  return 'unknown';
}

/** Top-level fields of the records in first-seen order, typed by the union over all of them. */
export function inferFields(records: JsonObject[]): DiscoveredField[] {
  const types = new Map<string, DiscoveredFieldType>();
  for (const record of records) {
    for (const [name, value] of Object.entries(record)) {
      const type = valueType(value);
      const known = types.get(name);
      types.set(name, known === undefined ? type : unionType(known, type));
    }
  }
  return [...types].map(([name, type]) => ({ name, type }));
}

export interface DiscoverHttpJsonArgs {
  config: HttpJsonConfig;
  secrets: HttpJsonSecrets;
  entities: { entity: string; resultsPosition?: string; idField?: string }[];
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
}

/** Fetches one sample page of each entity (one after the other, to be gentle on rate limits). */
export async function discoverHttpJson(args: DiscoverHttpJsonArgs): Promise<DiscoveredSchema> {
  const entities: DiscoveredSchema['entities'] = [];
  for (const entity of args.entities) {
    const page = await fetchSourcePage({
      config: args.config,
      secrets: args.secrets,
      entity: { entity: entity.entity, idField: entity.idField ?? 'id', ...(entity.resultsPosition !== undefined ? { resultsPosition: entity.resultsPosition } : {}) },
      cursor: null,
      pageSize: SAMPLE_SIZE,
      ...(args.signal ? { signal: args.signal } : {}),
      ...(args.fetchImpl ? { fetchImpl: args.fetchImpl } : {}),
    });
    entities.push({ name: entity.entity, fields: inferFields(page.records.slice(0, SAMPLE_SIZE)) });
  }
  return { entities };
}

/** The JSON type a PostgreSQL column's values take in `row_to_json`, as the postgres source reads them. */
export function postgresFieldType(dataType: string, typtype: string | null = null): DiscoveredFieldType {
  switch (dataType) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      return 'integer';
    case 'numeric':
    case 'real':
    case 'double precision':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'json':
    case 'jsonb':
      return 'object';
    case 'ARRAY':
      return 'array';
    case 'date':
    case 'timestamp without time zone':
    case 'timestamp with time zone':
      return 'datetime';
    case 'USER-DEFINED':
      // Enums read as strings; other user-defined types (composites, extensions' types) vary.
      return typtype === 'e' ? 'string' : 'unknown';
    default:
      // text, character varying, character, uuid, money, time, interval, inet, bytea, xml, …
      return 'string';
  }
}

/** Tables and views of one schema with their columns, from information_schema. */
export async function discoverPostgres(sql: Sql, schema = 'public'): Promise<DiscoveredSchema> {
  const rows = await sql<{ table_name: string; column_name: string; data_type: string; typtype: string | null }[]>`
    select c.table_name, c.column_name, c.data_type, t.typtype::text as typtype
    from information_schema.columns c
    left join pg_catalog.pg_namespace n on n.nspname = c.udt_schema
    left join pg_catalog.pg_type t on t.typnamespace = n.oid and t.typname = c.udt_name
    where c.table_schema = ${schema}
    order by c.table_name, c.ordinal_position`;
  const entities = new Map<string, DiscoveredField[]>();
  for (const row of rows) {
    let fields = entities.get(row.table_name);
    if (!fields) entities.set(row.table_name, (fields = []));
    fields.push({ name: row.column_name, type: postgresFieldType(row.data_type, row.typtype) });
  }
  return { entities: [...entities].map(([name, fields]) => ({ name, fields })) };
}

/**
 * Each .csv/.jsonl/.ndjson file directly in the directory (not recursive), named by its file name:
 * a CSV's header columns (values read as strings), the first lines of a JSONL file.
 */
export async function discoverFiles(config: FileConfig): Promise<DiscoveredSchema> {
  const entities: DiscoveredSchema['entities'] = [];
  for (const file of await listDataFiles(config)) {
    if (fileFormat(config, file) === 'csv') {
      const columns = await readCsvHeader(config, file);
      entities.push({ name: file, fields: columns.map((name) => ({ name, type: 'string' as const })) });
    } else {
      const page = await readFilePage({ config, file, cursor: null, pageSize: SAMPLE_SIZE });
      entities.push({ name: file, fields: inferFields(page.records) });
    }
  }
  return { entities };
}
