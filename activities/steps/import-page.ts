// Step 1: read one page from the source, hash each object, write only new or changed objects to
// the connector space, record the page's keys, and stage the objects that are not settled for the
// next steps. A dry run stages every object itself and leaves the connector space untouched.
import { Context } from '@temporalio/activity';
import type { Fragment, Sql, Tx } from '../../db/client';
import { laterWatermark, readSourcePage, type PageRecognition, type RecognisedPage, type RememberedAnswer, type SourceReadResult } from '../connectors/sources';
import type { AnswerInParts } from '../connectors/http-json-source';
import type { Prefetcher } from '../connectors/prefetch';
import type { JsonObject } from '../connectors/types';
import type { ConnectionPools } from '../connectors/postgres-destination';
import { recordId } from '../connectors/http-json-source';
import { SyncError } from '../errors';
import { hashObject, sha256Into } from '../hashing';
import { mapRecords, type MappedRecord } from '../map-records';
import { analyzeAsTablesGrow, IMPORT_TABLES, tablesDoubled } from '../statistics';
import { actionByContract, settledContract } from './contract-rules';
import { lookUpAhead, recordedPageResult, recordedResult, sharesObjects, synchroniseImportedPage, synchronisesWithImport, type SynchronisedPage, type UnsettledObject } from './job-page';
import type { RunLogEntry, RunLogWriter } from '../run-logs';
import type { TaskContext } from '../task-context';

export interface PageRef {
  runId: string;
  taskId: number;
  pageNo: number;
}

export interface ImportPageArgs extends PageRef {
  cursor: string | null;
  pageSize: number;
  /** Delta import: only what changed after this source watermark, where the source can filter. */
  since: string | null;
  dryRun: boolean;
  /**
   * A job page: synchronise and export it here too when the task's destination allows it (see
   * synchronisesWithImport); the result then says so in `synchronised`.
   */
  synchronise?: boolean;
  /**
   * With `synchronise`: go on with the next pages until this long has passed since the import
   * began, `maxPages` pages at most (and MAX_PAGES_PER_IMPORT); the result then covers them all
   * (see `pages`).
   */
  continueForMs?: number;
  maxPages?: number;
}

export interface ImportPageResult {
  fetched: number;
  /** Objects of this page taken in: staged for the next steps, or settled. */
  staged: number;
  /** Objects rejected: an id that appears twice. */
  rejected: number;
  /** Outcome in the connector space (a dry run: what it would have been). */
  created: number;
  changed: number;
  unchanged: number;
  /**
   * Of the staged objects, those already settled: unchanged at the source since their contract's
   * last export, under an unchanged configuration. They need no map, diff, upsert or export, and
   * are counted without being staged.
   */
  settled: number;
  nextCursor: string | null;
  totalCount: number | null;
  requests: number;
  watermark: string | null;
  /** Set when this activity also mapped, diffed, upserted and exported the page. */
  synchronised?: SynchronisedPage;
  /** Time each step took, for the benchmark (set with `synchronised`). */
  millis?: Record<string, number>;
  /** Pages this import did (more than one with `continueForMs`); the cursor is the last one's. */
  pages?: number;
  /** Of those, pages whose answer was recognised as one read before, and neither parsed nor hashed. */
  recognised?: number;
  /**
   * Records fetched whose id and hash were known from an answer read before (on a recognised page,
   * or byte for byte the same at the page's place), without parsing or hashing them.
   */
  recordsRecognised?: number;
}

/** Pages one import that synchronises them does at most. */
export const MAX_PAGES_PER_IMPORT = 20;

/** Objects per staging statement. */
export const STAGE_SLICE = 2_500;

/** A source page read and hashed: what the import writes. */
export interface HashedPage {
  page: SourceReadResult;
  /** Records the source answered with (`page.records` is empty when the answer was recognised). */
  fetched: number;
  /** A new answer, to be remembered with the page's ids and hashes (see rememberAnswer). */
  remember?: PageRecognition & { recordDigests?: Buffer };
  /** Of the records fetched, those whose id and hash were known without parsing them. */
  recordsRecognised: number;
  /** Lets go of the source's answer, once the page has written what it needed of its records. */
  releaseAnswer?: () => void;
  /** The page's objects with their ids and hashes; ids that appear twice are left out. */
  rows: { external_id: string; hash: string; data: JsonObject }[];
  /**
   * With `rows`, each object's JSON as the source sent it, where the page has it (a new answer
   * read whole, in valid UTF-8): the connector space stores these bytes instead of writing the
   * object's JSON again. They hold the answer until the page lets go of its objects.
   */
  texts?: (Uint8Array | undefined)[];
  /** Every id on the page, with how often it appears. */
  ids: ReadonlyMap<string, number>;
  /** Ids that appear more than once on the page, with how often. */
  duplicates: [string, number][];
  /**
   * The page's unsettled objects, looked up (a job page) while the page before it was written:
   * when the look-up answered, or undefined if it could not be made or failed.
   */
  unsettledAhead?: Promise<UnsettledAhead | undefined>;
}

/** A page's unsettled objects found while the page before it was written, and (when it could) their mapping. */
export interface UnsettledAhead {
  objects: UnsettledObject[];
  /** When the look-up answered. */
  at: number;
  /** The objects mapped, in their order, with the task context that mapped them; undefined if the mapping failed. */
  mapped?: { ctx: TaskContext; results: MappedRecord[] } | undefined;
}

/** Pages read ahead by this worker's imports, keyed by run, task, page and cursor. */
export type PagePrefetcher = Prefetcher<HashedPage>;

export async function importPage(
  sql: Sql,
  pools: ConnectionPools,
  logs: RunLogWriter,
  ctx: TaskContext,
  args: ImportPageArgs,
  prefetcher?: PagePrefetcher,
): Promise<ImportPageResult> {
  // A job page whose destination can be written as it synchronises runs every step here, and the
  // import goes on with the next pages for a while.
  if (args.synchronise === true && synchronisesWithImport(ctx)) return importJobPages(sql, pools, logs, ctx, args, prefetcher);

  const hashed = await readImportPage(sql, pools, logs, ctx, args, prefetcher);
  const { page, rows, fetched } = hashed;
  const outcome = rows.length === 0 ? { staged: 0, created: 0, changed: 0, unchanged: 0, settled: 0 } : await stageRows(sql, logs, ctx, args, hashed);
  await analyzeAsTablesGrow(sql, args.pageNo, IMPORT_TABLES);
  return {
    fetched,
    ...outcome,
    rejected: fetched - outcome.staged,
    recognised: page.recognised ? 1 : 0,
    recordsRecognised: hashed.recordsRecognised,
    nextCursor: page.nextCursor,
    totalCount: page.totalCount,
    requests: page.requests,
    watermark: page.watermark,
  };
}

/**
 * Before the import's next page: whether the run was paused (the pause route marks it as it
 * signals the workflow), and the outcome a committed attempt recorded for the page. One query:
 * traced in an unchanged run, the two asked one after the other took up to 176 and 111 ms of
 * pages of about 200 ms, waiting for a core.
 */
async function nextPageStatus(sql: Sql, page: PageRef): Promise<{ paused: boolean; recorded: ImportPageResult | undefined }> {
  const [status] = await sql<{ paused: boolean | null; result: ImportPageResult | null }[]>`
    select (select paused from runs where id = ${page.runId}::uuid) as paused, ${recordedResult(sql, page)} as result`;
  return { paused: status?.paused === true, recorded: status?.result ?? undefined };
}

/** A job page of an import, under way. */
interface PageUnderWay {
  /** The page as read from the source. */
  read: Promise<HashedPage>;
  /** Its outcome, once every write of the page has committed. */
  done: Promise<ImportPageResult>;
  /** Settles once only the page's contracts, run log and outcome are left to write, or it has ended. */
  recordingLeft: Promise<void>;
  /** How `done` settled, once it has. */
  ended?: 'committed' | 'failed';
}

/**
 * Job pages, every step, from `args` on: one page, or more with `continueForMs`. A page's writes
 * start while the page before it writes its contracts and run log, when the two share no object:
 * traced page by page in a first run, that last part took about a third of a page's 450 ms, one
 * connection writing while the worker and the other core waited. Every page still commits on its
 * own and records its outcome as it does, so a retry after a failure of either answers the
 * committed one's outcome and does the other again.
 */
async function importJobPages(sql: Sql, pools: ConnectionPools, logs: RunLogWriter, ctx: TaskContext, args: ImportPageArgs, prefetcher?: PagePrefetcher): Promise<ImportPageResult> {
  const started = Date.now();
  const signal = Context.current().cancellationSignal;
  // The pages whose writes have started and not yet all committed: a page read ahead that shares
  // an object with one of them is not looked up ahead.
  const writing = new Set<HashedPage>();
  const lookUp = lookUpAhead(sql, ctx, () => writing);
  const start = (page: ImportPageArgs, pageBefore: PageUnderWay | undefined): PageUnderWay => {
    let reachRecording!: () => void;
    const recordingLeft = new Promise<void>((resolve) => (reachRecording = resolve));
    // Read while the page before still writes, it holds one page fewer ahead: as many pages as
    // before are in memory at once.
    const read = readImportPage(sql, pools, logs, ctx, page, prefetcher, lookUp, pageBefore && !pageBefore.ended ? 1 : 2);
    // Held only until this page may start: kept for its whole life, a page would keep the one
    // before it (and what that page read) until it ends itself.
    let before = pageBefore;
    const done = read.then(async (hashed) => {
      // An object on both pages is looked up once the page before has committed it; and a page
      // that analyzes tables as it ends (see analyzeAsTablesGrow) must not meet the uncommitted
      // rows of the page before. (A page starts once the page before has been read.)
      if (before && (sharesObjects(await before.read, hashed) || tablesDoubled(page.pageNo))) await before.done;
      before = undefined;
      writing.add(hashed);
      try {
        return await synchroniseImportedPage(sql, pools, logs, ctx, page, hashed, reachRecording);
      } finally {
        writing.delete(hashed);
      }
    });
    const underWay: PageUnderWay = { read, done, recordingLeft };
    void done
      .then(
        () => (underWay.ended = 'committed'),
        () => (underWay.ended = 'failed'),
      )
      .finally(reachRecording);
    return underWay;
  };

  // The first page: as a committed attempt recorded it, or done now.
  let result = await recordedPageResult(sql, args);
  let current = result ? undefined : start(args, undefined);
  let pages = 1;
  for (;;) {
    if (current) await current.recordingLeft;
    // A page that reached its recording has been read; one that failed has no page after it.
    const cursor = current ? (current.ended === 'failed' ? null : (await current.read).page.nextCursor) : result!.nextCursor;
    const more = args.continueForMs !== undefined && Date.now() - started < args.continueForMs && pages < Math.min(args.maxPages ?? 1, MAX_PAGES_PER_IMPORT);
    let next: PageUnderWay | undefined;
    let recorded: ImportPageResult | undefined;
    // A cancelled or paused run stops at this page boundary, as it would between imports.
    if (cursor !== null && more && !signal.aborted) {
      const nextArgs = { ...args, pageNo: args.pageNo + pages, cursor };
      const status = await nextPageStatus(sql, nextArgs);
      if (!status.paused) {
        recorded = status.recorded;
        if (!recorded) next = start(nextArgs, current);
        pages++;
      }
    }
    if (current) {
      // A page that failed fails the import, once the page after it has stopped writing too.
      const outcome = await current.done.catch(async (err: unknown) => {
        await next?.done.catch(() => undefined);
        throw err;
      });
      result = result ? addPages(result, outcome) : outcome;
    }
    if (recorded) result = addPages(result!, recorded);
    if (!next && !recorded) return { ...result!, pages };
    current = next;
  }
}

/** The outcome of two consecutive pages as one: counts added, cursor and total of the later. */
function addPages(a: ImportPageResult, b: ImportPageResult): ImportPageResult {
  const add = <T extends object>(x: T | undefined, y: T | undefined): T => {
    const out: Record<string, number> = {};
    for (const part of [x, y]) for (const [k, v] of Object.entries(part ?? {})) out[k] = (out[k] ?? 0) + (v as number);
    return out as T;
  };
  return {
    fetched: a.fetched + b.fetched,
    staged: a.staged + b.staged,
    rejected: a.rejected + b.rejected,
    created: a.created + b.created,
    changed: a.changed + b.changed,
    unchanged: a.unchanged + b.unchanged,
    settled: a.settled + b.settled,
    nextCursor: b.nextCursor,
    totalCount: b.totalCount ?? a.totalCount,
    requests: a.requests + b.requests,
    watermark: laterWatermark(a.watermark, b.watermark),
    synchronised: add(a.synchronised, b.synchronised),
    millis: add(a.millis, b.millis),
    recognised: (a.recognised ?? 0) + (b.recognised ?? 0),
    recordsRecognised: (a.recordsRecognised ?? 0) + (b.recordsRecognised ?? 0),
  };
}

/**
 * What may start on a page as soon as it has been read ahead (`lookUpAhead`), knowing the pages
 * before it whose writes may still be under way.
 */
export type AfterReadAhead = (writing: HashedPage[], nextArgs: ImportPageArgs, next: HashedPage) => void;

/**
 * The page the import is at: read ahead by an earlier import on this worker, or read now. The next
 * two pages (`pagesAhead`) are read ahead (and `afterReadAhead` runs on each) while this one is
 * written: the source's answer and its hashing are then seldom what a page waits for. The second
 * is asked for as soon as the source has answered for the first, so that a remote source's round
 * trip overlaps the hashing. An id that appears twice on the page is logged as failed (both copies
 * are left out of the page's rows).
 */
export async function readImportPage(
  sql: Sql,
  pools: ConnectionPools,
  logs: RunLogWriter,
  ctx: TaskContext,
  args: ImportPageArgs,
  prefetcher?: PagePrefetcher,
  afterReadAhead?: AfterReadAhead,
  pagesAhead: 1 | 2 = 2,
): Promise<HashedPage> {
  const signal = Context.current().cancellationSignal;
  const keyOf = (pageNo: number, cursor: string | null) => readAheadKey(ctx, args, pageNo, cursor);
  // A prefetched page that failed is read again here, so its error is this attempt's.
  const prefetched = prefetcher?.take(keyOf(args.pageNo, args.cursor));
  const hashed = prefetched ? await prefetched.catch(() => readAndHash(sql, pools, ctx, args, args, signal)) : await readAndHash(sql, pools, ctx, args, args, signal);
  Context.current().heartbeat();
  // The next page is read while this one is written.
  const next = hashed.page.nextCursor;
  if (prefetcher && next !== null) {
    const readAhead = (writing: Promise<HashedPage>[], nextArgs: ImportPageArgs) => {
      const key = keyOf(nextArgs.pageNo, nextArgs.cursor);
      prefetcher.start(key, (aborted) => {
        let answered!: (nextCursor: string | null) => void;
        const nextCursor = new Promise<string | null>((resolve) => (answered = resolve));
        const ahead = readAndHash(sql, pools, ctx, args, nextArgs, aborted, answered).then(async (page) => {
          if (afterReadAhead) {
            // A page before it that failed may yet be read and written again: nothing starts early.
            const before = await Promise.all(writing).catch(() => undefined);
            if (before) afterReadAhead(before, nextArgs, page);
          }
          return page;
        });
        // A read that failed before the source answered has no page after it to ask for.
        ahead.catch(() => answered(null));
        nextCursors.set(ahead, nextCursor);
        return ahead;
      });
      const ahead = prefetcher.peek(key);
      return ahead ? { ahead, nextCursor: nextCursors.get(ahead) } : undefined;
    };
    // And the page after it as soon as the source has answered for that one, before it is hashed:
    // the source then prepares a page while the worker hashes the one before.
    const current = Promise.resolve(hashed);
    const first = readAhead([current], { ...args, pageNo: args.pageNo + 1, cursor: next });
    void first?.nextCursor?.then((cursor) => {
      if (cursor !== null && pagesAhead > 1) readAhead([current, first.ahead], { ...args, pageNo: args.pageNo + 2, cursor });
    });
  }

  // An id twice on one page: both copies are rejected rather than one silently winning.
  if (hashed.duplicates.length > 0) {
    await logs.write(
      args.runId,
      args.taskId,
      hashed.duplicates.map(([id, count]) => ({ originId: id, action: 'failed' as const, error: `${ctx.idField}: duplicate external id ${id} appears ${count} times in one page; all copies rejected` })),
    );
  }
  return hashed;
}

/** The prefetcher's key of a page of this import: its run, task, page, cursor, window and source version. */
export function readAheadKey(ctx: TaskContext, args: ImportPageArgs, pageNo: number, cursor: string | null): string {
  return JSON.stringify([args.runId, args.taskId, pageNo, cursor, args.since, args.pageSize, ctx.source.version]);
}

/**
 * Reads a page from the source and hashes its objects; `onRead` gets the page's next cursor as
 * soon as the source has answered and the records have their ids.
 */
async function readAndHash(
  sql: Sql,
  pools: ConnectionPools,
  ctx: TaskContext,
  args: ImportPageArgs,
  { pageNo, cursor }: { pageNo: number; cursor: string | null },
  signal: AbortSignal,
  onRead?: (nextCursor: string | null) => void,
): Promise<HashedPage> {
  // A dry run stages its objects' data as it is (stageRows), so it reads every page whole. The
  // answer remembered is the last one at the page's place in the import (its number and size),
  // which is the same from run to run even where the source's cursors are not.
  const recognise = args.dryRun ? undefined : { requestKey: JSON.stringify([ctx.spaceEntity, args.pageSize, pageNo]), lookUp: (recognition: PageRecognition) => knownAnswer(sql, ctx.source.id, recognition) };
  const page = await readSourcePage(pools, {
    source: ctx.source,
    entity: ctx.spaceEntity,
    idField: ctx.idField,
    ...(ctx.resultsPosition ? { resultsPosition: ctx.resultsPosition } : {}),
    ...(ctx.incrementalField ? { incrementalField: ctx.incrementalField } : {}),
    cursor,
    pageSize: args.pageSize,
    since: args.since,
    signal,
  }, recognise);
  if (page.recognised) {
    onRead?.(page.nextCursor);
    return recognisedPage(sql, ctx, page, page.recognised);
  }
  if (page.parts && page.earlier) {
    onRead?.(page.nextCursor);
    return partlyRecognisedPage(sql, ctx, page, page.parts, page.earlier);
  }
  const ids = recordIds(page.records, ctx.idField);
  const seen = countIds(ids);
  onRead?.(page.nextCursor);
  const { parts } = page;
  const hashing: PageHashing = {
    page,
    ids,
    seen,
    recordDigests: parts ? Buffer.allocUnsafe(page.records.length * HASH_BYTES) : undefined,
    rows: [],
    // The records' texts as the source sent them: a new HTTP answer's bytes, or a table's rows.
    texts: parts?.validUtf8 || page.texts ? [] : undefined,
  };
  // Hashed in slices, giving way between them: the import of the page before this one (read
  // ahead) is meanwhile waiting for its database answers on the same thread.
  for (let from = 0; from < page.records.length; from += HASH_SLICE) {
    if (from > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    hashRecords(hashing, from, Math.min(from + HASH_SLICE, page.records.length));
  }
  const { rows, texts, recordDigests } = hashing;
  // Digested, the answer's bytes are needed again only as the objects' texts.
  page.parts = undefined;
  page.texts = undefined;
  return { ...hashedPage(page, page.records.length, rows, seen, 0, recordDigests), ...(texts ? { texts } : {}) };
}

/** A page read whole being hashed (readAndHash), slice by slice. */
interface PageHashing {
  page: SourceReadResult;
  ids: string[];
  seen: Map<string, number>;
  recordDigests: Buffer | undefined;
  rows: HashedPage['rows'];
  texts: HashedPage['texts'];
}

/**
 * Hashes a page's records from `from` to `to`: each record's bytes digested (when the page has
 * them), and each record whose id is on the page once hashed as an object, with its text. Not a
 * loop inside readAndHash: that async function, entered once a page, had its loop compiled again
 * on 13 of a run's 30 pages (see CopyLine in db/copy.ts).
 */
function hashRecords({ page, ids, seen, recordDigests, rows, texts }: PageHashing, from: number, to: number): void {
  const { parts, records } = page;
  const sent = page.texts;
  for (let i = from; i < to; i++) {
    const bytes = parts?.bytesOf(i);
    if (bytes) sha256Into(bytes, recordDigests!, i * HASH_BYTES);
    if (seen.get(ids[i]!)! > 1) continue;
    const record = records[i]!;
    rows.push({ external_id: ids[i]!, hash: hashObject(record), data: record });
    const text = bytes ?? sent?.[i];
    texts?.push(text && isObjectText(text) ? text : undefined);
  }
}

/** The records' ids, by the task's id field. */
function recordIds(records: JsonObject[], idField: string): string[] {
  const ids = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) ids[i] = recordId(records[i]!, idField);
  return ids;
}

/** Whether a record's bytes are an object's JSON by their ends (a check on the scanner that found them). */
function isObjectText(bytes: Uint8Array): boolean {
  return bytes[0] === 0x7b && bytes[bytes.length - 1] === 0x7d;
}

/** How often each id appears on a page. */
function countIds(ids: string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
  return seen;
}

/**
 * The page as the import writes it: its ids counted, duplicates listed, and the answer to remember
 * (not one with ids twice: its rows leave them out, and it is rare).
 */
function hashedPage(page: SourceReadResult, fetched: number, rows: HashedPage['rows'], seen: Map<string, number>, recordsRecognised: number, recordDigests?: Buffer): HashedPage {
  // Not [...seen]: that is a pair array per object of the page, for the few ids seen twice.
  const duplicates: [string, number][] = [];
  for (const id of seen.keys()) {
    const count = seen.get(id)!;
    if (count > 1) duplicates.push([id, count]);
  }
  const remember = page.recognition && duplicates.length === 0 ? { ...page.recognition, ...(recordDigests ? { recordDigests } : {}) } : undefined;
  return { page, fetched, rows, ids: seen, duplicates, recordsRecognised, ...(remember ? { remember } : {}) };
}

/**
 * A new answer read against the one remembered at its place: a record whose bytes are those of a
 * remembered record (at the same place on the page or another) takes that record's id and hash and
 * is parsed only when asked for, like a recognised page's; the others are parsed and hashed. A
 * delta's pages, a few records changed on each, are read so for little more than their digests.
 */
async function partlyRecognisedPage(sql: Sql, ctx: TaskContext, page: SourceReadResult, parts: AnswerInParts, earlier: RememberedAnswer): Promise<HashedPage> {
  const earlierDigests = earlier.recordDigests!;
  let earlierIndex: Map<number, number> | undefined;
  const recordDigests = Buffer.allocUnsafe(parts.count * HASH_BYTES);
  const ids = new Array<string>(parts.count);
  const hashes = new Array<string>(parts.count);
  const records = new Array<JsonObject | undefined>(parts.count);
  let recordsRecognised = 0;
  for (let i = 0; i < parts.count; i++) {
    if (i > 0 && i % HASH_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const at = i * HASH_BYTES;
    sha256Into(parts.bytesOf(i), recordDigests, at);
    let known = i < earlier.fetched && recordDigests.compare(earlierDigests, at, at + HASH_BYTES, at, at + HASH_BYTES) === 0 ? i : -1;
    if (known < 0) {
      // Not where it was: perhaps moved (a record added or removed before it), or changed.
      earlierIndex ??= digestIndex(earlierDigests, earlier.fetched);
      const j = earlierIndex.get(digestKey(recordDigests, at)) ?? -1;
      if (j >= 0 && recordDigests.compare(earlierDigests, j * HASH_BYTES, (j + 1) * HASH_BYTES, at, at + HASH_BYTES) === 0) known = j;
    }
    if (known >= 0) {
      ids[i] = earlier.externalIds[known]!;
      hashes[i] = earlier.hashes[known]!;
      recordsRecognised++;
    } else {
      const record = parts.record(i);
      records[i] = record;
      ids[i] = recordId(record, ctx.idField);
      hashes[i] = hashObject(record);
    }
  }
  const seen = countIds(ids);
  let answer: AnswerInParts | undefined = parts;
  const recordAt = (i: number): JsonObject => {
    if (!answer) throw new Error('A page was asked for a record after letting go of its answer');
    return checkedRecord(sql, ctx, page, answer.record(i), ids[i]!, hashes[i]!);
  };
  const rows: HashedPage['rows'] = [];
  for (let i = 0; i < parts.count; i++) {
    if (seen.get(ids[i]!)! > 1) continue;
    const record = records[i];
    rows.push(record ? { external_id: ids[i]!, hash: hashes[i]!, data: record } : new RecognisedRow(ids[i]!, hashes[i]!, i, recordAt));
  }
  const releaseAnswer = () => {
    answer = undefined;
    page.parts = undefined;
  };
  return { ...hashedPage(page, parts.count, rows, seen, recordsRecognised, recordDigests), releaseAnswer };
}

/**
 * Where each of a remembered answer's record digests is, by its first bits (numbers are cheaper
 * keys than strings of 32 bytes); a key two digests share points at neither, and what it points at
 * is compared whole.
 */
function digestIndex(digests: Buffer, count: number): Map<number, number> {
  const index = new Map<number, number>();
  for (let j = 0; j < count; j++) {
    const key = digestKey(digests, j * HASH_BYTES);
    index.set(key, index.has(key) ? -1 : j);
  }
  return index;
}

/** A digest's first 30 bits: a small integer, which V8 keeps unboxed. */
function digestKey(digests: Buffer, at: number): number {
  return digests.readUInt32LE(at) & 0x3fffffff;
}

/**
 * The answer remembered at the page's place, if there is one: the same answer (by its digest), or
 * another whose records' digests were remembered under the same `recordsReadAs` (see
 * partlyRecognisedPage); its ids and hashes, and what followed from them.
 */
async function knownAnswer(sql: Sql, sourceId: number, { requestKey, digest, recordsReadAs }: PageRecognition): Promise<RememberedAnswer | undefined> {
  const [row] = await sql<{ digest: string; fetched: number; external_ids: string[]; hashes: string; record_digests: Buffer | null; next_cursor: string | null; total_count: number | null; watermark: string | null }[]>`
    select digest, fetched, external_ids, encode(hashes, 'hex') as hashes, case when digest = ${digest} then null else record_digests end as record_digests,
      next_cursor, total_count::float8 as total_count, watermark
    from source_pages
    where connected_system_id = ${sourceId} and request_key = ${requestKey}
      and (digest = ${digest} or (records_read_as = ${recordsReadAs} and record_digests is not null))`;
  if (!row || row.external_ids.length !== row.fetched || row.hashes.length !== row.fetched * HASH_HEX_LENGTH) return undefined;
  if (row.digest !== digest && row.record_digests?.length !== row.fetched * HASH_BYTES) return undefined;
  const hashes = new Array<string>(row.fetched);
  for (let i = 0; i < row.fetched; i++) hashes[i] = row.hashes.slice(i * HASH_HEX_LENGTH, (i + 1) * HASH_HEX_LENGTH);
  return {
    digest: row.digest,
    fetched: row.fetched,
    externalIds: row.external_ids,
    hashes,
    recordDigests: row.record_digests,
    nextCursor: row.next_cursor,
    totalCount: row.total_count,
    watermark: row.watermark,
  };
}

/** Bytes of a record's hash (hashObject's SHA-256), and its hex characters. */
const HASH_BYTES = 32;
const HASH_HEX_LENGTH = 2 * HASH_BYTES;

/**
 * A recognised answer as a hashed page: its rows are its remembered ids and hashes, and an
 * object's data is parsed from the answer only when asked for (an object that turns out not to be
 * settled, in the few pages that have one). What is parsed is checked against what was
 * remembered; should it differ, the remembered answer is forgotten and the page fails, to be read
 * afresh by its retry.
 */
function recognisedPage(sql: Sql, ctx: TaskContext, page: SourceReadResult, known: RecognisedPage): HashedPage {
  const ids = new Map<string, number>();
  for (const id of known.externalIds) ids.set(id, 1);
  const recordAt = (i: number): JsonObject => {
    const records = known.records();
    if (records.length !== known.fetched) forgetAnswer(sql, ctx, page, known.externalIds[i]!);
    return checkedRecord(sql, ctx, page, records[i], known.externalIds[i]!, known.hashes[i]!);
  };
  const rows = new Array<RecognisedRow>(known.externalIds.length);
  for (let i = 0; i < rows.length; i++) rows[i] = new RecognisedRow(known.externalIds[i]!, known.hashes[i]!, i, recordAt);
  return { page, fetched: known.fetched, rows, ids, duplicates: [], recordsRecognised: known.fetched, releaseAnswer: () => known.release() };
}

/** A record parsed from a recognised answer, checked against what was remembered of it (see forgetAnswer). */
function checkedRecord(sql: Sql, ctx: TaskContext, page: SourceReadResult, record: JsonObject | undefined, id: string, hash: string): JsonObject {
  if (record === undefined || recordId(record, ctx.idField) !== id || hashObject(record) !== hash) forgetAnswer(sql, ctx, page, id);
  return record;
}

/** A remembered answer that does not hold what its page parses to is forgotten, and the page fails, to be read afresh by its retry. */
function forgetAnswer(sql: Sql, ctx: TaskContext, page: SourceReadResult, id: string): never {
  void sql`delete from source_pages where connected_system_id = ${ctx.source.id} and request_key = ${page.recognition!.requestKey}`.catch(() => undefined);
  throw new SyncError('SOURCE_PAGE_MISMATCH', `The answer recognised for a page of ${ctx.spaceEntity} does not hold what was remembered of it (object ${id}); it is forgotten and read again`, true);
}

/** A row of a recognised page: its id and hash as remembered, its data parsed when first asked for. */
class RecognisedRow {
  private replaced: JsonObject | undefined;
  constructor(
    readonly external_id: string,
    readonly hash: string,
    private readonly index: number,
    private readonly recordAt: (i: number) => JsonObject,
  ) {}

  get data(): JsonObject {
    return this.replaced ?? this.recordAt(this.index);
  }

  set data(value: JsonObject) {
    this.replaced = value;
  }
}

/** The rows' ids, in order. */
function externalIds(rows: HashedPage['rows']): string[] {
  const ids = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) ids[i] = rows[i]!.external_id;
  return ids;
}

/**
 * A page's keys and hashes as one statement's parameters (`params`: ids, and hashes as one bytea
 * of 32 bytes each) and rows (`input`: external_id, hash as hex, n). The hashes travel as bytes:
 * as a text[] of 10,000 hex strings they cost the worker about 6 ms more a page to send and
 * PostgreSQL about 20 ms more to read. What stores the page's keys takes the arrays as they came
 * rather than aggregating `input` again: aggregated, `input` was also materialized, and the two
 * cost PostgreSQL about 12 ms of a page's look-up (EXPLAIN ANALYZE, 10,000 objects).
 */
export function pageInput(sql: Sql | Tx, rows: HashedPage['rows']): Fragment {
  let hex = '';
  for (const row of rows) hex += row.hash;
  const hashes = Buffer.from(hex, 'hex');
  // Buffer.from stops at the first character that is not hex: every hash must have come through whole.
  if (hashes.length !== rows.length * HASH_BYTES) throw new Error(`A page's hashes are not ${HASH_BYTES}-byte hex digests`);
  return sql`params as (select ${externalIds(rows)}::text[] as ids, ${hashes}::bytea as hashes),
    input as (
      select i.external_id, encode(substring(p.hashes from ((i.n - 1) * ${HASH_BYTES} + 1)::int for ${HASH_BYTES}), 'hex') as hash, i.n
      from params p cross join unnest(p.ids) with ordinality as i(external_id, n))`;
}

/**
 * The keys a page records for the deletion check, in a statement that has `params` (see
 * pageInput): every id the page holds, also one whose copies were all rejected for appearing
 * twice, since the object is still at the source and must not be taken for deleted.
 */
export function seenKeys(sql: Sql | Tx, page: HashedPage): Fragment {
  return page.duplicates.length === 0 ? sql`(select ids from params)` : sql`${[...page.ids.keys()]}::text[]`;
}

/**
 * A statement's part that remembers a new answer (`page.remember`) with the ids and hashes of its
 * rows, which the statement has as `params` (see pageInput); empty when there is none.
 */
export function rememberAnswer(sql: Sql | Tx, ctx: TaskContext, page: HashedPage): Fragment {
  const { remember } = page;
  if (!remember) return sql``;
  const { nextCursor, totalCount, watermark } = page.page;
  const recordDigests = remember.recordDigests ?? null;
  return sql`, remembered as (
    insert into source_pages (connected_system_id, request_key, digest, fetched, external_ids, hashes, record_digests, records_read_as, next_cursor, total_count, watermark)
    select ${ctx.source.id}, ${remember.requestKey}, ${remember.digest}, ${page.fetched}, p.ids, p.hashes,
      ${recordDigests}::bytea, ${recordDigests ? remember.recordsReadAs : null}, ${nextCursor}, ${totalCount}, ${watermark}
    from params p
    on conflict (connected_system_id, request_key) do update
      set digest = excluded.digest, fetched = excluded.fetched, external_ids = excluded.external_ids, hashes = excluded.hashes,
          record_digests = excluded.record_digests, records_read_as = excluded.records_read_as,
          next_cursor = excluded.next_cursor, total_count = excluded.total_count, watermark = excluded.watermark, updated_at = now()
      where source_pages.digest is distinct from excluded.digest)`;
}

/**
 * Records hashed between two turns of the event loop. Each of a page's database answers waits
 * for the slice under way to end, and a page's writes take several in a row: traced in a delta
 * run, a page's connector-space merge of 100 objects took 150–250 ms while slices of 1,000 (10 ms
 * and more each) of the pages read ahead ran between its statements. In alternating pairs at
 * 300,000 records, slices of 200 gave delta-1pct 8% more records/s (five pairs) and unchanged 10%
 * (two), the first runs the same (README, Performance).
 */
const HASH_SLICE = 200;

/** The next cursor of each page being read ahead, known as soon as the source has answered. */
const nextCursors = new WeakMap<Promise<HashedPage>, Promise<string | null>>();

async function stageRows(sql: Sql, logs: RunLogWriter, ctx: TaskContext, args: ImportPageArgs, hashed: HashedPage) {
  const { rows } = hashed;
  let failures: RunLogEntry[] = [];
  const outcome = await sql.begin(async (tx) => {
    // The page's keys are recorded once: a full import's deletion check compares the connector
    // space with them.
    const recordKeys = (keys: Fragment) => tx`
      insert into sync_seen_pages (run_id, task_id, page_no, external_ids)
      select ${args.runId}::uuid, ${args.taskId}, ${args.pageNo}, ${keys}
      on conflict (run_id, task_id, page_no) do update set external_ids = excluded.external_ids`;
    let settled = 0;
    let staged = true;
    if (args.dryRun) {
      await recordKeys(tx`${[...hashed.ids.keys()]}::text[]`);
      await tx`
        with input as (select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(external_id text, hash text, data jsonb))
        insert into sync_staging (run_id, task_id, external_id, page_no, origin_hash, data, space_action)
        select ${args.runId}::uuid, ${args.taskId}, i.external_id, ${args.pageNo}, i.hash, i.data,
          case when c.external_id is null or c.deleted_at is not null then 'create' when c.hash <> i.hash then 'update' else 'unchanged' end
        from input i
        left join connector_space_objects c
          on c.connected_system_id = ${ctx.source.id} and c.entity = ${ctx.spaceEntity} and c.external_id = i.external_id
        on conflict (run_id, task_id, external_id) do nothing`;
    } else {
      // Settled objects (most objects of most runs) are only counted: they need nothing from any
      // later step, so they are not staged. One statement records the keys and answers with the
      // objects that are not settled (few, in most runs); only those travel to PostgreSQL with
      // their data. (Contracts change only when a page synchronises, after its import: a retry
      // finds the same.)
      const unsettled = await tx<{ external_id: string }[]>`
        with ${pageInput(tx, rows)},
        keys as (${recordKeys(seenKeys(tx, hashed))})${rememberAnswer(tx, ctx, hashed)}
        select i.external_id from input i
        where not exists (
          select 1 from connector_space_objects c
          join contracts k on k.task_id = ${args.taskId} and k.origin_id = c.external_id and ${settledContract(tx, ctx, tx`i.hash`)}
          where c.connected_system_id = ${ctx.source.id} and c.entity = ${ctx.spaceEntity} and c.external_id = i.external_id
            and c.hash = i.hash and c.deleted_at is null)`;
      const unsettledIds = new Set(unsettled.map((r) => r.external_id));
      settled = rows.length - unsettledIds.size;
      const rest = rows.filter((r) => unsettledIds.has(r.external_id));
      staged = rest.length > 0;
      if (rest.length > 0) {
        // The page's records are at hand: they are mapped and decided here, so the map and diff
        // steps neither read them back nor rewrite their staging rows.
        const mapped = await mapRecords(ctx, rest);
        // In slices: the statement's text of a whole page (records and their mappings) would be
        // held by the worker several times over while it is sent.
        for (let at = 0; at < rest.length; at += STAGE_SLICE) {
          await stageUnsettled(tx, ctx, args, rest.slice(at, at + STAGE_SLICE), mapped.results.slice(at, at + STAGE_SLICE));
        }
        failures = mapped.failures;
      }
    }
    // The staged objects are counted from their rows, not from the statement, so a retried page
    // reports the same.
    const counts = !staged
      ? []
      : await tx<{ space_action: string; n: number }[]>`
          select space_action, count(*)::int as n from sync_staging
          where run_id = ${args.runId}::uuid and task_id = ${args.taskId} and page_no = ${args.pageNo}
          group by space_action`;
    const n = (action: string) => counts.find((c) => c.space_action === action)?.n ?? 0;
    const unchanged = n('unchanged') + settled;
    return { staged: n('create') + n('update') + unchanged, created: n('create'), changed: n('update'), unchanged, settled };
  });
  if (failures.length > 0) {
    await logs.write(args.runId, args.taskId, failures);
  }
  return outcome;
}

/**
 * One statement for the page: new and changed objects go into the connector space, unchanged
 * ones are matched and left untouched; every object is staged with its mapping and the action
 * its contract calls for (as the diff step decides it).
 */
async function stageUnsettled(tx: Tx, ctx: TaskContext, args: ImportPageArgs, rows: { external_id: string; hash: string; data: unknown }[], mapped: MappedRecord[]) {
  const input = rows.map(({ external_id, hash, data }, i) => {
    const { mapped: target, target_hash, error, skipped } = mapped[i]!;
    return { external_id, hash, data, mapped: target, target_hash, error, skipped };
  });
  await tx`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
        as x(external_id text, hash text, data jsonb, mapped jsonb, target_hash text, error text, skipped boolean)
    ), space as (
      insert into connector_space_objects (connected_system_id, entity, external_id, data, hash, last_changed_run_id)
      select ${ctx.source.id}, ${ctx.spaceEntity}, external_id, data, hash, ${args.runId}::uuid from input
      on conflict (connected_system_id, entity, external_id) do update
        set data = excluded.data, hash = excluded.hash, last_changed_run_id = excluded.last_changed_run_id,
            deleted_at = null, change_seq = nextval('connector_space_change_seq'), updated_at = now()
        where connector_space_objects.hash is distinct from excluded.hash
           or connector_space_objects.deleted_at is not null
      returning external_id, (xmax = 0) as inserted
    )
    insert into sync_staging (run_id, task_id, external_id, page_no, origin_hash, space_action, mapped, target_hash, error, action)
    select ${args.runId}::uuid, ${args.taskId}, i.external_id, ${args.pageNo}, i.hash,
      case when s.external_id is null then 'unchanged' when s.inserted then 'create' else 'update' end,
      i.mapped, i.target_hash, i.error,
      case when i.error is not null then 'failed' when i.skipped then 'skipped'
        else ${actionByContract(tx, tx`${args.taskId}::int`, tx`i.external_id`, tx`i.target_hash`)} end
    from input i left join space s on s.external_id = i.external_id
    on conflict (run_id, task_id, external_id) do nothing`;
}
