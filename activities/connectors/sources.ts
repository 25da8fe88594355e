// One way to read a page from any source connector, so the import step does not care which
// kind of system it reads.
import * as crypto from 'node:crypto';
import { SyncError } from '../errors';
import { sha256Hex } from '../hashing';
import type { Connection } from '../task-context';
import { readFilePage, type FileConfig } from './file';
import { fetchSourceBody, type AnswerInParts } from './http-json-source';
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
  /** How this answer is told apart, where the source's answers can be recognised (HTTP JSON). */
  recognition?: PageRecognition;
  /**
   * Set when the answer was recognised as one read before: `records` is then empty (nothing was
   * parsed), and this stands for them.
   */
  recognised?: RecognisedPage;
  /**
   * The answer's records as bytes, where they can be told apart without parsing (HTTP JSON, a task
   * without an incremental field): their digests are remembered with the answer, so that the next
   * import of the page knows each record whose bytes have not changed.
   */
  parts?: AnswerInParts;
  /**
   * Each record's JSON as the source wrote it (valid UTF-8), in the records' order, where the
   * source gives it (a PostgreSQL table's rows): the connector space stores it as it is.
   */
  texts?: Uint8Array[] | undefined;
  /**
   * Set when the answer is new but the one remembered at the page's place can be compared with it
   * record by record: `records` is then empty (nothing was parsed), and `parts` holds them.
   */
  earlier?: RememberedAnswer;
}

/** Where a page was asked for, and what its answer was. */
export interface PageRecognition {
  /** The page's place (see RecognisePage): whose last answer is remembered. */
  requestKey: string;
  /** The answer: its body's bytes and all else that decides what they read as (SHA-256, hex). */
  digest: string;
  /**
   * All besides a record's bytes that decides what it reads as (its id field, the version of the
   * hashing); null when records are not compared one by one (a task with an incremental field,
   * whose watermark needs every record parsed).
   */
  recordsReadAs: string | null;
}

export interface KnownPage {
  fetched: number;
  externalIds: string[];
  hashes: string[];
  nextCursor: string | null;
  totalCount: number | null;
  watermark: string | null;
}

/** The answer remembered at a page's place. */
export interface RememberedAnswer extends KnownPage {
  digest: string;
  /**
   * Each record's bytes' SHA-256, 32 bytes each in the records' order, when they were remembered
   * under the same `recordsReadAs` and the answer is not the same (null otherwise).
   */
  recordDigests: Buffer | null;
}

export interface RecognisedPage extends KnownPage {
  /** The answer's records, parsed when asked for (an object that turns out not to be settled needs its data). */
  records(): JsonObject[];
  /** Lets go of the answer and its records, once the page has written what it needed of them. */
  release(): void;
}

/** How a reader recognises answers read before. */
export interface RecognisePage {
  /**
   * The page's place, whose last answer is remembered: the same from run to run for the same
   * page (the import's page number, say, rather than a cursor a source may mint afresh each time).
   */
  requestKey: string;
  /**
   * The answer remembered at that place: the same one (its digest), or another whose records can
   * be compared (see `recordsReadAs`); undefined when there is none.
   */
  lookUp(recognition: PageRecognition): Promise<RememberedAnswer | undefined>;
}

/**
 * Bumped whenever what a page's records hash to or how an answer is read changes (hashObject,
 * recordId, maxWatermark, the HTTP source's parsing): answers recognised by an older version are
 * then new again.
 */
const RECOGNITION_VERSION = 1;

export const SOURCE_CONNECTOR_TYPES = ['http-json', 'postgres', 'file'] as const;

/**
 * Reads a page. With `recognise`, an HTTP answer is first looked up by its digest: an answer read
 * before is not parsed at all (see RecognisedPage), which is most of what reading an unchanged
 * page costs.
 */
export async function readSourcePage(pools: ConnectionPools, read: SourceRead, recognise?: RecognisePage): Promise<SourceReadResult> {
  const { source } = read;
  switch (source.connectorType) {
    case 'http-json': {
      const body = await fetchSourceBody({
        config: source.config as unknown as HttpJsonConfig,
        secrets: source.secrets as HttpJsonSecrets,
        entity: { entity: read.entity, resultsPosition: read.resultsPosition, idField: read.idField },
        cursor: read.cursor,
        pageSize: read.pageSize,
        ...(read.signal ? { signal: read.signal } : {}),
      });
      const recordsReadAs = read.incrementalField ? null : JSON.stringify([RECOGNITION_VERSION, read.idField]);
      const recognition = recognise ? { requestKey: recognise.requestKey, digest: await digestOf(read, body.bytes, body.interpretedBy), recordsReadAs } : undefined;
      const known = recognise && recognition ? await recognise.lookUp(recognition) : undefined;
      if (recognition && known?.digest === recognition.digest) {
        let answer: typeof body | undefined = body;
        let records: JsonObject[] | undefined;
        const recognised: RecognisedPage = {
          ...known,
          records() {
            if (!answer) throw new Error('A recognised page was asked for its records after letting go of them');
            return (records ??= answer.interpret().records);
          },
          release() {
            answer = undefined;
            records = undefined;
          },
        };
        return { records: [], nextCursor: known.nextCursor, totalCount: known.totalCount, requests: body.requests, watermark: known.watermark, recognition, recognised };
      }
      // Only records that may be compared with a remembered answer's are found by their bytes.
      const parts = recognition && recordsReadAs !== null ? body.inParts() : undefined;
      if (recognition && parts && known?.recordDigests) {
        return { records: [], nextCursor: parts.nextCursor, totalCount: parts.totalCount, requests: body.requests, watermark: null, recognition, parts, earlier: known };
      }
      const page = body.interpret();
      const watermark = read.incrementalField ? maxWatermark(page.records, read.incrementalField) : null;
      return { ...page, watermark, ...(recognition ? { recognition } : {}), ...(parts?.count === page.records.length ? { parts } : {}) };
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

/**
 * An answer's digest. The body is hashed by WebCrypto, off the main thread: it is megabytes, which
 * the thread that parses and hashes other pages need not spend its time on.
 */
async function digestOf(read: SourceRead, bytes: Uint8Array, interpretedBy: string): Promise<string> {
  const bodyDigest = Buffer.from(await crypto.webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
  return sha256Hex(JSON.stringify([RECOGNITION_VERSION, interpretedBy, read.idField, read.incrementalField ?? null, bodyDigest]));
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
