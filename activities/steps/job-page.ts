// A job page in one activity: when a job's destination is a PostgreSQL table, the import runs the
// page's other steps as well — map, diff, upsert, export — on the records it has just read, so
// nothing is staged for a later activity to read back. The steps stay separate functions below:
//
//   import  findUnsettled: record the page's keys, find the objects not already settled
//   import  writeConnectorSpace: new and changed objects into the connector space, on a
//           connection of its own while the page is mapped, diffed and written
//   map     mapRecords (shared with the map step)
//   diff    decideActions: create / update / unchanged by each object's contract
//   upsert  writeRegisterAndContracts: the register, the contracts and the run log, started
//           before the destination is made ready; what depends on the merge waits for it, and
//           the last commit records the page's outcome
//   export  prepareDestination: the destination table made ready and the rows fitted to it,
//           then the merge into it, on its own connection
//
// Each transaction gets its rows by one COPY, into a temporary table or, for a first run's pages,
// straight into the table (copyFreshPage). The outcome is recorded with
// the page's keys (sync_seen_pages.result) in the last commit: an attempt retried after it returns
// the outcome instead of doing the page again, so a retry reports what the first attempt did and
// logs nothing twice. A retry after a failure anywhere else does the page again: the connector
// space and the destination are keyed upserts, a first run's register rows (committed on their
// own) are met and merged, and the rest was rolled back.
import { Context } from '@temporalio/activity';
import type { Fragment, Sql, Tx } from '../../db/client';
import { copyBinaryRows, copyField, copyJsonField, copyRows, type BinaryType, type BinaryValue, type CopyBytes } from '../../db/copy';
import type { ConnectionPools, PostgresConnectionConfig } from '../connectors/postgres-destination';
import type { JsonObject } from '../connectors/types';
import { mapRecords, type MappedRecord } from '../map-records';
import { writeRunLogBatch, type RunLogBatch, type RunLogWriter } from '../run-logs';
import { analyzeAsTablesGrow, FIRST_PAGES_MIN_ROWS, tablesDoubled, type WorkingTable } from '../statistics';
import type { TaskContext } from '../task-context';
import { contractAwaitingExport, contractRecordingWrite, settledContract } from './contract-rules';
import { copyingFresh, freshScope, metKeyConflict } from './fresh-copies';
import { prepareMerge, writesAlongsideSynchronisation } from './export-page';
import { pageInput, rememberAnswer, seenKeys, type AfterReadAhead, type HashedPage, type ImportPageArgs, type ImportPageResult, type PageRef, type UnsettledAhead } from './import-page';

/** What the page's synchronisation did, as the synchronise step reports it. */
export interface SynchronisedPage {
  created: number;
  changed: number;
  /** Mapped to what the target holds, settled ones included. */
  unchanged: number;
  /** Refused by the mapping or by the destination. */
  failed: number;
  /** Exports queued for the export step (the destination write failed as a whole). */
  queued: number;
}

/** Whether a job page of this task can run all its steps in the import (see the top of this file). */
export function synchronisesWithImport(ctx: TaskContext): boolean {
  return !ctx.dryRun && writesAlongsideSynchronisation(ctx);
}

/** The outcome a committed attempt recorded for this page, as a subquery (null when there is none). */
export function recordedResult(sql: Sql, page: PageRef): Fragment {
  return sql`(select result from sync_seen_pages
    where run_id = ${page.runId}::uuid and task_id = ${page.taskId} and page_no = ${page.pageNo} and result is not null)`;
}

/** The outcome a committed attempt recorded for this page, if there was one. */
export async function recordedPageResult(sql: Sql, page: PageRef): Promise<ImportPageResult | undefined> {
  const [row] = await sql<{ result: ImportPageResult | null }[]>`select ${recordedResult(sql, page)} as result`;
  return row?.result ?? undefined;
}

/** An object of the page that is not settled, with what the connector space and its contract hold. */
export interface UnsettledObject {
  /** Its place on the page's rows, from 1 (its key is the row's: the look-up does not send it back). */
  n: number;
  space_hash: string | null;
  space_deleted: boolean | null;
  has_contract: boolean | null;
  target_id: string | null;
  target_hash: string | null;
}

type Action = 'create' | 'update' | 'unchanged' | 'failed' | 'skipped';

/** An unsettled object of the page and what each step decided for it. */
interface PageRow {
  external_id: string;
  origin_hash: string;
  /** The mapped object for a create or update, else null. */
  mapped: JsonObject | null;
  /** Its stable JSON, as written to the register and the destination. */
  mappedJson: string | null;
  target_hash: string | null;
  action: Action;
  /** The mapping's refusal. */
  error: string | null;
  /** What the import does to the connector space (reported like the import step's counts). */
  space: 'create' | 'update' | 'unchanged';
  /** Refused by the destination table (the reason), so its contract does not record a write. */
  refused: string | null;
  /** The task has a contract for the object already. */
  contracted: boolean;
}

/** The engine tables a job page writes, analyzed as they grow. */
const PAGE_TABLES: readonly WorkingTable[] = ['connector_space_objects', 'register_objects', 'contracts', 'pending_exports'];

/**
 * Synchronises a page read and hashed by the import. `onlyRecordingLeft`, when given, is called
 * once the connector space, the register and the destination have committed and only the
 * contracts, the run log and the page's outcome are left to write: the page after it may start
 * its own writes then (see importJobPages). It is not called when the page's end analyzes tables (an
 * ANALYZE that met the next page's uncommitted rows would record their pages without their rows),
 * nor when the page merges in one transaction.
 */
export async function synchroniseImportedPage(
  sql: Sql,
  pools: ConnectionPools,
  logs: RunLogWriter,
  ctx: TaskContext,
  args: ImportPageArgs,
  hashed: HashedPage,
  onlyRecordingLeft?: () => void,
): Promise<ImportPageResult> {
  const { rows } = hashed;
  const millis = { import: 0, map: 0, diff: 0, upsert: 0, export: 0 };
  let clock = performance.now();
  const lap = (step: keyof typeof millis) => {
    const now = performance.now();
    millis[step] += now - clock;
    clock = now;
  };
  if (rows.length === 0) return pageOutcome(hashed, [], 0, millis);

  const found = await hashed.unsettledAhead;
  const ahead = found && Date.now() - found.at < LOOKED_UP_AHEAD_FOR_MS ? found : undefined;
  const unsettled = ahead ? ahead.objects : await findUnsettled(sql, ctx, args, hashed);
  lap('import');
  // A page of settled objects (most pages of most runs) is done: nothing to map, diff or write.
  if (unsettled.length === 0) return pageOutcome(hashed, [], 0, millis);
  const objects = unsettledRows(rows, unsettled);
  // The connector space needs only what the look-up found: it is written while the page is mapped.
  const spaceRows = spaceRowsOf(unsettled, objects, hashed.texts);
  const spaceStarted = performance.now();
  const space = writeConnectorSpace(sql, ctx, args, spaceRows).finally(() => {
    millis.import += performance.now() - spaceStarted;
  });
  // Observed here, so that it is no unhandled rejection while other work is awaited.
  space.catch(() => undefined);
  let destination: Promise<void> = Promise.resolve();
  let registered: Promise<unknown> = Promise.resolve();
  try {
    const mapped = ahead?.mapped?.ctx === ctx ? ahead.mapped.results : (await mapRecords(ctx, objects)).results;
    lap('map');
    const pageRows = decideActions(unsettled, objects, mapped, spaceRows);
    lap('diff');

    const { changes, logged } = writesOf(pageRows);
    // The register's writes start first (the longest of the page's), while the destination is
    // made ready: what they need of it, they wait for.
    let settlePrepared!: () => void;
    const prepared = new Promise<void>((resolve) => (settlePrepared = resolve));
    let settleMerged!: (written: boolean) => void;
    const destinationWritten = new Promise<boolean>((resolve) => (settleMerged = resolve));
    let settleRegistered!: () => void;
    const registerCommitted = new Promise<void>((resolve) => (settleRegistered = resolve));
    if (onlyRecordingLeft && !tablesDoubled(args.pageNo)) {
      void Promise.all([space, destinationWritten, registerCommitted]).then(() => {
        // The next page's objects are about to be held too: this page's source objects and their
        // mapped objects and JSON have been written and are needed no more (the contracts and the
        // run log take keys, hashes and actions).
        releaseWrittenObjects(hashed, spaceRows, mapped, pageRows);
        onlyRecordingLeft();
      }, () => undefined);
    }
    const registering = writeRegisterAndContracts(sql, {
      ctx,
      logs,
      args,
      rows: pageRows,
      changes,
      logged,
      prepared,
      registerCommitted: settleRegistered,
      async merged() {
        const written = await destinationWritten;
        clock = performance.now();
        return written;
      },
      async finish(tx, { written, queued }) {
        lap('upsert');
        await space;
        // Unwritten, the refusals are the export step's to find again.
        const outcome = pageOutcome(hashed, pageRows, queued, millis, written);
        await tx`
          update sync_seen_pages set result = ${JSON.stringify(outcome)}::text::jsonb
          where run_id = ${args.runId}::uuid and task_id = ${args.taskId} and page_no = ${args.pageNo}`;
        return outcome;
      },
    });
    registered = registering;
    registering.catch(() => undefined);
    try {
      // Not reaching the destination at all is a write failed as a whole: the changes are queued.
      const merge = changes.length === 0 ? undefined : await prepareDestination(pools, ctx, args, changes).catch(() => undefined);
      for (const { row, error } of merge?.refused ?? []) row.refused = error;
      settlePrepared();
      const started = performance.now();
      destination = (merge ? merge.write() : Promise.resolve()).finally(() => {
        millis.export = performance.now() - started;
      });
      destination.catch(() => undefined);
      // The merge failed as a whole: the export step retries the changes with its backoff.
      settleMerged(merge !== undefined && (await destination.then(() => true, () => false)));
    } finally {
      // Whatever happened here, the register's writes are not left waiting.
      settlePrepared();
      settleMerged(false);
    }
    const outcome = await registering;
    Context.current().heartbeat();
    // Statistics follow what a task writes. A page that wrote little (a delta's hundred objects)
    // leaves them as they are: sampling a million-row table costs more than the page did.
    if (pageRows.length >= FIRST_PAGES_MIN_ROWS) await analyzeAsTablesGrow(sql, args.pageNo, PAGE_TABLES);
    return outcome;
  } finally {
    // Never leave a write running behind a failed attempt (its retry writes the same rows again).
    await Promise.allSettled([destination, space, registered]);
  }
}

/**
 * The page's outcome from what each of its rows' steps did, counted in one pass (a filtered copy
 * of the page per count was the page's garbage). Refusals count only where the destination was
 * written (`written`): unwritten, they are the export step's to find again.
 */
function pageOutcome(hashed: HashedPage, pageRows: PageRow[], queued: number, millis: Record<string, number>, written = true): ImportPageResult {
  const { page, rows, fetched } = hashed;
  const actions: Record<Action, number> = { create: 0, update: 0, unchanged: 0, failed: 0, skipped: 0 };
  const space: Record<PageRow['space'], number> = { create: 0, update: 0, unchanged: 0 };
  let refused = 0;
  for (const r of pageRows) {
    actions[r.action]++;
    space[r.space]++;
    if (written && r.refused !== null) refused++;
  }
  const settled = rows.length - pageRows.length;
  const rounded: Record<string, number> = {};
  for (const step in millis) rounded[step] = Math.round(millis[step]!);
  return {
    fetched,
    staged: rows.length,
    rejected: fetched - rows.length,
    created: space.create,
    changed: space.update,
    unchanged: space.unchanged + settled,
    settled,
    nextCursor: page.nextCursor,
    totalCount: page.totalCount,
    requests: page.requests,
    watermark: page.watermark,
    synchronised: {
      created: actions.create,
      changed: actions.update,
      unchanged: actions.unchanged + settled,
      failed: actions.failed + refused,
      queued,
    },
    millis: rounded,
    recognised: page.recognised ? 1 : 0,
    recordsRecognised: hashed.recordsRecognised,
  };
}

/** What stands for an object a page has written and let go of. */
const RELEASED: JsonObject = Object.freeze({}) as JsonObject;

/**
 * Lets go of a page's written objects: its counts, keys, hashes and actions stay. The mapping's
 * results go too: they (and the page's look-up ahead, which holds them) kept every mapped object
 * and its JSON while the contracts and the run log were written, and two or three pages can be
 * at that stage at once (a heap snapshot of a full-pg run: 20,000 such objects, about 10 MB).
 */
function releaseWrittenObjects(hashed: HashedPage, spaceRows: SpaceRow[], mapped: MappedRecord[], pageRows: PageRow[]): void {
  hashed.page.records.fill(RELEASED);
  hashed.releaseAnswer?.();
  hashed.texts = undefined;
  for (const row of hashed.rows) row.data = RELEASED;
  for (const row of spaceRows) {
    row.data = null;
    row.text = undefined;
  }
  for (const result of mapped) {
    result.mapped = null;
    result.json = null;
  }
  for (const row of pageRows) {
    row.mapped = null;
    row.mappedJson = null;
  }
}

/** How long the objects a page's look-up ahead found stay good to use (a paused run's go stale). */
const LOOKED_UP_AHEAD_FOR_MS = 10_000;

/**
 * A task's first pages are not looked up ahead: the look-up would meet tables the planner knows
 * nothing about yet (the first page analyzes them as it ends), and it then probes the connector
 * space through the wrong index, a scan per object (seen: 74 s for a page of 10,000).
 */
const FIRST_PAGE_LOOKED_UP_AHEAD = 3;

/**
 * Import and map, ahead: the next page's unsettled objects are looked up as soon as it has been
 * read, while the page before it is written, and then mapped, so that the page's writes can start
 * as soon as its turn comes instead of after its mapping. Only when the page shares no object
 * with the pages before it still being written (`writing`, and those `stillWriting` answers when
 * the page has been read: a page whose contracts are being written while the next one starts):
 * their writes then touch nothing the look-up reads.
 */
export function lookUpAhead(sql: Sql, ctx: TaskContext, stillWriting: () => Iterable<HashedPage> = () => []): AfterReadAhead {
  return (writing, nextArgs, next) => {
    if (next.rows.length === 0 || nextArgs.pageNo < FIRST_PAGE_LOOKED_UP_AHEAD) return;
    if ([...writing, ...stillWriting()].some((page) => sharesObjects(page, next))) return;
    // A failed look-up is left to the import, which makes it again and fails if the error persists;
    // a failed mapping to the page, which maps its objects itself.
    next.unsettledAhead = findUnsettled(sql, ctx, nextArgs, next).then(
      async (objects): Promise<UnsettledAhead> => {
        const at = Date.now();
        if (objects.length === 0) return { objects, at };
        const mapped = await mapRecords(ctx, unsettledRows(next.rows, objects)).then(
          ({ results }) => ({ ctx, results }),
          () => undefined,
        );
        return { objects, at, mapped };
      },
      () => undefined,
    );
  };
}

/** Whether a page holds any object of another's. */
export function sharesObjects(page: HashedPage, other: HashedPage): boolean {
  const { ids } = page;
  for (const r of other.rows) if (ids.has(r.external_id)) return true;
  return false;
}

/** The page's rows of its unsettled objects, in the look-up's order (by their place, not a map of the page's ids). */
function unsettledRows(rows: HashedPage['rows'], unsettled: UnsettledObject[]): HashedPage['rows'] {
  const found = new Array<HashedPage['rows'][number]>(unsettled.length);
  for (let i = 0; i < unsettled.length; i++) found[i] = rows[unsettled[i]!.n - 1]!;
  return found;
}

/**
 * Import: records the page's keys (for the deletion check), remembers a new answer of the source
 * with them (rememberAnswer), and answers with the objects that are not settled, with their
 * connector-space hash and their contract's target. Each object is looked up by key (a lateral
 * lookup with a limit is never turned into a join), whatever the statistics. The objects neither
 * the connector space nor the contracts know (all of a first run's) come back as one array of
 * their places: as a row each they cost the worker about 1.4 µs apiece to receive, 14 ms a page.
 */
async function findUnsettled(sql: Sql, ctx: TaskContext, args: ImportPageArgs, page: HashedPage): Promise<UnsettledObject[]> {
  const { rows } = page;
  const answer = await sql<LookUpRow[]>`
    with ${pageInput(sql, rows)},
    keys as (
      insert into sync_seen_pages (run_id, task_id, page_no, external_ids)
      select ${args.runId}::uuid, ${args.taskId}, ${args.pageNo}, ${seenKeys(sql, page)}
      on conflict (run_id, task_id, page_no) do update set external_ids = excluded.external_ids
    )${rememberAnswer(sql, ctx, page)},
    unsettled as (
      select i.n::int as n, s.space_hash, s.space_deleted, k.has_contract, k.target_id, k.target_hash
      from input i
      left join lateral (
        select c.hash as space_hash, c.deleted_at is not null as space_deleted from connector_space_objects c
        where c.connected_system_id = ${ctx.source.id} and c.entity = ${ctx.spaceEntity} and c.external_id = i.external_id limit 1) s on true
      left join lateral (
        select true as has_contract, k.target_id, k.target_hash, ${settledContract(sql, ctx, sql`i.hash`)} as settled from contracts k
        where k.task_id = ${args.taskId} and k.origin_id = i.external_id limit 1) k on true
      where not (coalesce(s.space_hash = i.hash and not s.space_deleted, false) and coalesce(k.settled, false))
    )
    select n, space_hash, space_deleted, has_contract, target_id, target_hash, null::int[] as unknown
    from unsettled where space_hash is not null or has_contract
    union all
    select null, null, null, null, null, null, array_agg(n order by n)
    from unsettled where space_hash is null and has_contract is null
    order by n nulls last`;
  return withUnknownObjects(answer);
}

/**
 * A row of the look-up's answer: an object it found (`n` set), or its last row, the places of
 * those known to neither store (`unknown`).
 */
type LookUpRow = UnsettledObject & { unknown: number[] | null };

/** The look-up's objects in the page's order: those it found, and those known to neither store (see findUnsettled). */
function withUnknownObjects(answer: LookUpRow[]): UnsettledObject[] {
  const found: UnsettledObject[] = answer.slice(0, -1);
  const unknown = answer.at(-1)?.unknown ?? [];
  const objects: UnsettledObject[] = [];
  let f = 0;
  for (const n of unknown) {
    while (f < found.length && found[f]!.n < n) objects.push(found[f++]!);
    objects.push({ n, space_hash: null, space_deleted: null, has_contract: null, target_id: null, target_hash: null });
  }
  while (f < found.length) objects.push(found[f++]!);
  return objects;
}

/**
 * Diff: what each unsettled object needs, by its contract (the rule of actionByContract): create
 * without a contract or target row, update when the target holds another hash, else unchanged.
 * Objects the mapping refused fail; those the task's filter leaves out are skipped.
 */
function decideActions(unsettled: UnsettledObject[], objects: HashedPage['rows'], mapped: MappedRecord[], spaceRows: SpaceRow[]): PageRow[] {
  const rows = new Array<PageRow>(unsettled.length);
  for (let i = 0; i < unsettled.length; i++) {
    const u = unsettled[i]!;
    const object = objects[i]!;
    const m = mapped[i]!;
    let action: Action;
    if (m.error !== null) action = 'failed';
    else if (m.skipped) action = 'skipped';
    else if (!u.has_contract || u.target_id === null) action = 'create';
    else action = u.target_hash !== m.target_hash ? 'update' : 'unchanged';
    const changes = action === 'create' || action === 'update';
    rows[i] = {
      external_id: object.external_id,
      origin_hash: object.hash,
      mapped: changes ? (m.mapped as JsonObject) : null,
      mappedJson: changes ? m.json : null,
      target_hash: m.target_hash,
      action,
      error: m.error,
      space: spaceRows[i]!.space,
      refused: null,
      contracted: u.has_contract === true,
    };
  }
  return rows;
}

/** Export: the task's destination table made ready for the page's changes, which are fitted to it. */
async function prepareDestination(pools: ConnectionPools, ctx: TaskContext, args: PageRef, changes: PageRow[]) {
  const dest = ctx.destination;
  const db = pools.get(dest.version, dest.config as unknown as PostgresConnectionConfig, dest.secrets.password as string | undefined);
  // Objects the task has no contract for have no row of the task's in the table: they are copied.
  const fresh = !changes.some(isContracted) ? freshScope('destination', args) : undefined;
  const merge = await prepareMerge(db, ctx, changes.map(destinationRowOf), fresh);
  return { refused: merge.refused.map(({ row, error }) => ({ row: row.row, error })), write: merge.write };
}

const destinationRowOf = (row: PageRow) => ({ row, id: row.external_id, data: row.mapped!, json: row.mappedJson! });

/** An unsettled object as the connector space sees it. */
export interface SpaceRow {
  external_id: string;
  origin_hash: string;
  /** What the import does to the connector space (reported like the import step's counts). */
  space: 'create' | 'update' | 'unchanged';
  /**
   * The source object when the connector space needs it written, else null. Its JSON is made as
   * its COPY row is encoded, so that the text dies young instead of living through the page's
   * writes (2.5 MB a page of 10,000 that the collector then moved to the old generation).
   */
  data: JsonObject | null;
  /** With `data`, its JSON as the source sent it, when the page has it (see HashedPage.texts): stored as it is. */
  text?: Uint8Array | undefined;
}

/** Import: what the connector space holds of the page's unsettled objects, and what it needs (spaceRowOf). */
function spaceRowsOf(unsettled: UnsettledObject[], objects: HashedPage['rows'], texts: HashedPage['texts']): SpaceRow[] {
  const rows = new Array<SpaceRow>(unsettled.length);
  for (let i = 0; i < unsettled.length; i++) {
    const u = unsettled[i]!;
    rows[i] = spaceRowOf(u, objects[i]!, texts?.[u.n - 1]);
  }
  return rows;
}

/** Import: what the connector space holds of an unsettled object, and what it needs. */
function spaceRowOf(u: UnsettledObject, object: HashedPage['rows'][number], text: Uint8Array | undefined): SpaceRow {
  const space = u.space_hash === null ? 'create' : u.space_deleted || u.space_hash !== object.hash ? 'update' : 'unchanged';
  if (space === 'unchanged') return { external_id: object.external_id, origin_hash: object.hash, space, data: null };
  return { external_id: object.external_id, origin_hash: object.hash, space, data: object.data, text };
}

/** A connector-space row's JSON as a COPY field: the source's own text where the page has it. */
function spaceJson(row: SpaceRow): string | CopyBytes {
  return row.text ?? copyJsonField(JSON.stringify(row.data));
}

/** The connector space's working table on its connection (created once, emptied at every commit). */
const SPACE_TABLE = 'syncline_page_space';

/**
 * Import: new and changed objects into the connector space, in a transaction of their own. When
 * the look-up found none of them there (a first run's pages), they are copied straight into it;
 * should one have arrived since (another job reading the same source), the page merges instead.
 * Says which way it went.
 */
export async function writeConnectorSpace(sql: Sql, ctx: TaskContext, args: PageRef, rows: SpaceRow[]): Promise<'copied' | 'merged' | 'none'> {
  const written = rows.filter(isWritten);
  if (written.length === 0) return 'none';
  const key = freshScope('space', args);
  if (written.every(isCreated) && !metKeyConflict(key)) {
    const of = { source: ctx.source.id, entity: ctx.spaceEntity, runId: args.runId };
    const copied = await copyingFresh(key, () =>
      sql.begin(async (tx) => {
        await copyBinaryRows(tx, 'connector_space_objects', SPACE_OBJECT_COLUMNS, written, spaceObjectLine, of);
      }),
    );
    if (copied) return 'copied';
  }
  await mergeConnectorSpace(sql, ctx, args, written);
  return 'merged';
}

// The page's row functions and tests, declared once (see CopyLine in db/copy.ts).
const isWritten = (r: SpaceRow) => r.data !== null;
const isCreated = (r: SpaceRow) => r.space === 'create';
const SPACE_OBJECT_COLUMNS: [string, BinaryType][] = [
  ['connected_system_id', 'int4'], ['entity', 'text'], ['external_id', 'text'], ['data', 'text'], ['hash', 'text'], ['last_changed_run_id', 'uuid'],
];
const spaceObjectLine = (r: SpaceRow, of: { source: number; entity: string; runId: string }): BinaryValue[] => [
  of.source, of.entity, r.external_id, r.text ?? JSON.stringify(r.data), r.origin_hash, of.runId,
];
const spaceTableLine = (r: SpaceRow) => [copyField(r.external_id), r.origin_hash, spaceJson(r)];

async function mergeConnectorSpace(sql: Sql, ctx: TaskContext, args: PageRef, written: SpaceRow[]): Promise<void> {
  await sql.begin(async (tx) => {
    await tx.unsafe(`create temp table if not exists ${SPACE_TABLE} (external_id text not null, origin_hash text not null, data json not null) on commit delete rows`);
    await copyRows(tx, SPACE_TABLE, ['external_id', 'origin_hash', 'data'], written, spaceTableLine);
    await tx`
      insert into connector_space_objects (connected_system_id, entity, external_id, data, hash, last_changed_run_id)
      select ${ctx.source.id}, ${ctx.spaceEntity}, t.external_id, t.data, t.origin_hash, ${args.runId}::uuid
      from ${tx(SPACE_TABLE)} t
      on conflict (connected_system_id, entity, external_id) do update
        set data = excluded.data, hash = excluded.hash, last_changed_run_id = excluded.last_changed_run_id,
            deleted_at = null, change_seq = nextval('connector_space_change_seq'), updated_at = now()
        where connector_space_objects.hash is distinct from excluded.hash
           or connector_space_objects.deleted_at is not null`;
  });
}

/** What the register, contracts and run log writers of a page get. */
interface PageWrite {
  ctx: TaskContext;
  logs: RunLogWriter;
  args: PageRef;
  rows: PageRow[];
  /** Of `rows`, the creates and updates, and what the run log records (see writesOf). */
  changes: PageRow[];
  logged: PageRow[];
  /** Settles once the destination has been made ready: the rows it refused have `refused` set. */
  prepared: Promise<void>;
  /** Waits for the destination write; whether it was written. */
  merged: () => Promise<boolean>;
  /** Called once the register's objects have committed on their own (a first run's pages). */
  registerCommitted: () => void;
  /** Runs last, before the commit: records the page's outcome. */
  finish: (tx: Tx, done: { written: boolean; queued: number }) => Promise<ImportPageResult>;
}

/** The page's creates and updates, and what the run log records (those and the failures). */
function writesOf(rows: PageRow[]): { changes: PageRow[]; logged: PageRow[] } {
  return { changes: rows.filter(isChange), logged: rows.filter(isLogged) };
}

// Tests of a page's rows, declared once (see CopyLine in db/copy.ts).
const isChange = (r: PageRow) => r.action === 'create' || r.action === 'update';
const isLogged = (r: PageRow) => r.action === 'create' || r.action === 'update' || r.action === 'failed';
const isDecided = (r: PageRow) => r.action === 'create' || r.action === 'update' || r.action === 'unchanged';
const isUnchanged = (r: PageRow) => r.action === 'unchanged';
const isContracted = (r: PageRow) => r.contracted;
const isRefused = (r: PageRow) => r.refused !== null;
const externalIdOf = (r: PageRow) => r.external_id;
const originHashOf = (r: PageRow) => r.origin_hash;

/** The working table of the register, contracts and run log on their connection (emptied at every commit). */
const PAGE_TABLE = 'syncline_page_rows';

/**
 * Upsert: the register objects of the page's creates and updates and their contracts (one
 * statement: the register ids come back from the insert), the exports an earlier run left open for
 * the page's objects dropped, the contracts of unchanged objects confirmed, and the run log. The
 * rows are loaded while the destination is written; `merged` then tells whether it was. If so the
 * contracts record the write (a refused object's contract keeps what the target held before, and
 * its export is Failed); if not the changes are queued for the export step. `finish` runs last,
 * before the commit.
 */
async function writeRegisterAndContracts(sql: Sql, page: PageWrite): Promise<ImportPageResult> {
  const { ctx, logs, args, rows, changes, logged, merged, finish } = page;
  const scope = freshScope('register', args);
  if (!rows.some(isContracted) && !metKeyConflict(scope)) {
    const copied = await copyingFresh(scope, () => copyFreshPage(sql, page));
    if (copied) return copied.value;
  }
  return sql.begin(async (tx) => {
    await page.prepared;
    if (logged.length > 0) {
      await tx.unsafe(
        `create temp table if not exists ${PAGE_TABLE} (external_id text not null, origin_hash text not null, mapped json,
           target_hash text, action text not null, refused boolean not null, error text) on commit delete rows`,
      );
      await copyRows(tx, PAGE_TABLE, ['external_id', 'origin_hash', 'mapped', 'target_hash', 'action', 'refused', 'error'], logged, pageTableLine);
    }
    await dropSupersededExports(tx, args, rows);
    const unchanged = rows.filter(isUnchanged);
    if (unchanged.length > 0) {
      // An object found unchanged was mapped afresh to what the target holds: its contract now
      // says so, and the next import settles it without mapping it again.
      await tx`
        update contracts k
        set origin_hash = x.origin_hash, synced_origin_hash = x.origin_hash, last_synced_at = now(), updated_at = now()
        from unnest(${unchanged.map(externalIdOf)}::text[], ${unchanged.map(originHashOf)}::text[]) as x(external_id, origin_hash)
        where k.task_id = ${args.taskId} and k.origin_id = x.external_id`;
    }
    const written = changes.length > 0 && (await merged());
    let queued = 0;
    if (changes.length > 0) queued = await upsertChanges(tx, ctx, args, written, changes.some(isRefused));
    if (logged.length > 0) await writeRunLog(tx, logs, args, written, changes.some(isRefused));
    return finish(tx, { written: changes.length === 0 || written, queued });
  });
}

const pageTableLine = (r: PageRow) => [
  copyField(r.external_id),
  r.origin_hash,
  copyJsonField(r.mappedJson),
  r.target_hash ?? '\\N',
  r.action,
  r.refused === null ? 'f' : 't',
  copyField(r.error ?? r.refused),
];

/**
 * Upsert, for a page of objects the task has no contract for (a first run's pages): the same rows
 * as writeRegisterAndContracts, each table's copied straight into it, the register ids drawn from
 * its sequence first. A key that exists already (a register object another task created, an object
 * met twice in a run) fails the COPY, and the page then takes the merging way.
 *
 * Two transactions at once: the register's, and the contracts' and run log's, which need only
 * the drawn ids and the destination's outcome. One after the other on one connection, the
 * contracts and run log took about 250 ms of a page's 800 after the register's COPY, the longest
 * of the page's writes, while the other writes were done. The register's commits first; the
 * other waits for it, rolls back if it failed, and records the page's outcome as it commits, so a
 * page is recorded done only once both are. Should only the register's have committed, the retry
 * meets its objects and merges (the merging way takes register rows that are there as they are).
 */
async function copyFreshPage(sql: Sql, { ctx, logs, args, rows, changes, logged, merged, registerCommitted, finish }: PageWrite): Promise<ImportPageResult> {
  const { successDays, errorDays } = logs.retention;
  // The register's ids and the page's time, drawn before either transaction needs them (a
  // sequence is outside transactions anyway). Asked first, then the register's transaction, then
  // the other: each has its connection before what waits for it. The sequence is named (migration
  // 0000 names it): looked up with pg_get_serial_sequence() for every id, a page's 10,000 ids
  // took 37–41 ms, against 5 ms.
  const drawn = sql<{ micros: string; kept: string; failed: string; ids: string[] }[]>`
    select (extract(epoch from now() - '2000-01-01 00:00:00+00'::timestamptz) * 1000000)::bigint::text as micros,
           (now() + make_interval(days => ${successDays}::int))::text as kept,
           (now() + make_interval(days => ${errorDays}::int))::text as failed,
           array(select nextval('register_objects_id_seq')::text from generate_series(1, ${changes.length})) as ids`.then(([at]) => ({
    at: at!,
    registered: withRegisterIds(changes, at!.ids),
  }));
  drawn.catch(() => undefined);
  const register = sql.begin(async (tx) => {
    await dropSupersededExports(tx, args, rows);
    const { registered } = await drawn;
    const of = { workspace: ctx.workspaceId, type: ctx.targetEntity, runId: args.runId };
    await copyBinaryRows(tx, 'register_objects', REGISTER_COLUMNS, registered, registerLine, of);
  });
  register.then(registerCommitted, () => undefined);
  const recorded = sql.begin(async (tx) => {
    const { at, registered } = await drawn;
    const written = changes.length > 0 && (await merged());
    const { runId, taskId, pageNo } = args;
    const of: PageConstants = { runId, task: taskId, taskId: String(taskId), pageNo: String(pageNo), micros: Number(at.micros), kept: at.kept, failed: at.failed };
    const exportColumns = ['run_id', 'task_id', 'page_no', 'origin_id', 'register_object_id', 'action'];
    let queued = 0;
    if (written) {
      await copyBinaryRows(tx, 'contracts', WRITTEN_CONTRACT_COLUMNS, registered, writtenContractLine, of);
      // What the table refused fails for good (a retry would meet the same table).
      const refused = registered.filter(isRegisteredRefused);
      await copyRows(tx, 'pending_exports', [...exportColumns, 'status', 'attempts', 'error'], refused, failedExportLine, of);
    } else if (changes.length > 0) {
      await copyBinaryRows(tx, 'contracts', QUEUED_CONTRACT_COLUMNS, registered, queuedContractLine, of);
      await copyRows(tx, 'pending_exports', exportColumns, registered, queuedExportLine, of);
      queued = changes.length;
    }
    const { batches, entries } = runLogOf(logged, written, { runId, taskId, expiresAt: at.kept });
    for (const batch of batches) await writeRunLogBatch(tx, batch);
    await copyRows(tx, 'run_logs', ['run_id', 'task_id', 'origin_id', 'target_id', 'action', 'error', 'expires_at'], entries, runLogLine, of);
    // The register's commit comes first; its failure rolls this back.
    await register;
    return finish(tx, { written: changes.length === 0 || written, queued });
  });
  // Neither is left running behind the other's failure; the register's error (a key that exists
  // already, say) is the one that tells what went wrong when both failed.
  const [registerDone, recordedDone] = await Promise.allSettled([register, recorded]);
  if (registerDone.status === 'rejected') throw registerDone.reason;
  if (recordedDone.status === 'rejected') throw recordedDone.reason;
  return recordedDone.value;
}

/** A create or update of a first run's page with the register id drawn for it. */
interface Registered {
  row: PageRow;
  id: string;
}

/**
 * What is the same for every row a first run's page copies: its run, task and page, and its
 * times, each as its COPY sends it (the task as a number for binary COPY, as text for text COPY).
 */
interface PageConstants {
  runId: string;
  task: number;
  /** `task` as text, made once for the text COPY rows. */
  taskId: string;
  pageNo: string;
  /** The page's time (now()), as a binary COPY sends a timestamptz. */
  micros: number;
  kept: string;
  failed: string;
}

/** An entry of the run log that is not in a batch: a failure, or a change that was not written. */
interface RunLogEntryRow {
  row: PageRow;
  failed: string | null;
}

function withRegisterIds(changes: PageRow[], ids: string[]): Registered[] {
  const registered = new Array<Registered>(changes.length);
  for (let i = 0; i < changes.length; i++) registered[i] = { row: changes[i]!, id: ids[i]! };
  return registered;
}

// A first run's page's COPY rows and tests, declared once (see CopyLine in db/copy.ts).
const REGISTER_COLUMNS: [string, BinaryType][] = [
  ['id', 'int8'], ['workspace_id', 'int4'], ['object_type', 'text'], ['external_key', 'text'], ['data', 'text'], ['hash', 'text'], ['last_run_id', 'uuid'],
];
const registerLine = ({ row, id }: Registered, of: { workspace: number; type: string; runId: string }): BinaryValue[] => [
  id, of.workspace, of.type, row.external_id, row.mappedJson, row.target_hash, of.runId,
];
const WRITTEN_CONTRACT_COLUMNS: [string, BinaryType][] = [
  ['task_id', 'int4'], ['origin_id', 'text'], ['register_object_id', 'int8'], ['origin_hash', 'text'], ['last_run_id', 'uuid'],
  ['target_id', 'text'], ['target_hash', 'text'], ['synced_origin_hash', 'text'], ['last_synced_at', 'timestamptz'], ['last_action', 'text'],
];
const writtenContractLine = ({ row, id }: Registered, of: PageConstants): BinaryValue[] =>
  // A row the table refused: its contract records no write.
  row.refused !== null
    ? [of.task, row.external_id, id, row.origin_hash, of.runId, null, null, null, null, null]
    : [of.task, row.external_id, id, row.origin_hash, of.runId, row.external_id, row.target_hash, row.origin_hash, of.micros, 'create'];
/** A contract whose write is queued: what it records before the export (the written one's first five columns). */
const QUEUED_CONTRACT_COLUMNS = WRITTEN_CONTRACT_COLUMNS.slice(0, 5);
const queuedContractLine = ({ row, id }: Registered, of: PageConstants): BinaryValue[] => [of.task, row.external_id, id, row.origin_hash, of.runId];
const isRegisteredRefused = ({ row }: Registered) => row.refused !== null;
const failedExportLine = ({ row, id }: Registered, of: PageConstants) => [
  of.runId, of.taskId, of.pageNo, copyField(row.external_id), id, row.action, 'Failed', '1', copyField(row.refused),
];
const queuedExportLine = ({ row, id }: Registered, of: PageConstants) => [of.runId, of.taskId, of.pageNo, copyField(row.external_id), id, row.action];
const runLogLine = ({ row, failed }: RunLogEntryRow, of: PageConstants) => {
  const origin = copyField(row.external_id);
  if (failed !== null || row.action === 'failed') return [of.runId, of.taskId, origin, '\\N', 'failed', copyField(failed), of.failed];
  return [of.runId, of.taskId, origin, '\\N', row.action === 'create' ? 'created' : 'updated', '\\N', of.kept];
};

/**
 * A first run's page's run log, as writeRunLog writes it (a refused write is logged as done
 * without a target, and failed): the objects written go in one batch per action; the others one
 * row each, as the export step updates the entries of what it writes later (export-page.ts).
 */
function runLogOf(logged: PageRow[], written: boolean, of: { runId: string; taskId: number; expiresAt: string }): { batches: RunLogBatch[]; entries: RunLogEntryRow[] } {
  const entries: RunLogEntryRow[] = [];
  const batches = new Map<'created' | 'updated', RunLogBatch>();
  for (const row of logged) {
    if (row.action !== 'failed' && written && row.refused === null) {
      const action = row.action === 'create' ? 'created' : 'updated';
      let batch = batches.get(action);
      if (batch === undefined) batches.set(action, (batch = { runId: of.runId, taskId: of.taskId, action, targeted: true, originIds: [], expiresAt: of.expiresAt }));
      batch.originIds.push(row.external_id);
      continue;
    }
    entries.push({ row, failed: row.action === 'failed' ? row.error : null });
    if (written && row.refused !== null) entries.push({ row, failed: row.refused });
  }
  return { batches: [...batches.values()], entries };
}

/** The register and contracts of the page's creates and updates (see writeRegisterAndContracts); returns the exports queued. */
async function upsertChanges(tx: Tx, ctx: TaskContext, args: PageRef, written: boolean, anyRefused: boolean): Promise<number> {
  const changes = tx`t.action in ('create', 'update')`;
  const registerKey = tx`r.workspace_id = ${ctx.workspaceId} and r.object_type = ${ctx.targetEntity} and r.external_key = t.external_id`;
  const register = tx`
    insert into register_objects (workspace_id, object_type, external_key, data, hash, last_run_id)
    select ${ctx.workspaceId}, ${ctx.targetEntity}, t.external_id, t.mapped, t.target_hash, ${args.runId}::uuid
    from ${tx(PAGE_TABLE)} t where ${changes}
    on conflict (workspace_id, object_type, external_key) do update
      set data = excluded.data, hash = excluded.hash, last_run_id = excluded.last_run_id, updated_at = now()
      where register_objects.hash is distinct from excluded.hash
    returning id, external_key`;
  // The insert returns the objects it wrote; one it left as it was is looked up by key.
  const registerId = tx`coalesce(reg.id, (select r.id from register_objects r where ${registerKey}))`;

  if (written) {
    const reached = tx`not t.refused`;
    await tx`
      with reg as (${register})
      insert into contracts (task_id, origin_id, register_object_id, origin_hash, last_seen_at, last_run_id,
                             target_id, target_hash, synced_origin_hash, last_synced_at, last_action)
      select ${args.taskId}, t.external_id, ${registerId}, t.origin_hash, now(), ${args.runId}::uuid,
             case when ${reached} then t.external_id end, case when ${reached} then t.target_hash end,
             case when ${reached} then t.origin_hash end, case when ${reached} then now() end,
             case when ${reached} then 'create' end
      from ${tx(PAGE_TABLE)} t left join reg on reg.external_key = t.external_id
      where ${changes}
      ${contractRecordingWrite(tx)}`;
    if (anyRefused) {
      // What the table refused fails for good (a retry would meet the same table).
      await tx`
        insert into pending_exports (run_id, task_id, page_no, origin_id, register_object_id, action, status, attempts, error)
        select ${args.runId}::uuid, ${args.taskId}, ${args.pageNo}, t.external_id, (select r.id from register_objects r where ${registerKey}),
               t.action, 'Failed', 1, t.error
        from ${tx(PAGE_TABLE)} t where ${changes} and t.refused
        on conflict (run_id, task_id, origin_id) do nothing`;
    }
    return 0;
  }

  await tx`
    with reg as (${register})
    insert into contracts (task_id, origin_id, register_object_id, origin_hash, last_seen_at, last_run_id)
    select ${args.taskId}, t.external_id, ${registerId}, t.origin_hash, now(), ${args.runId}::uuid
    from ${tx(PAGE_TABLE)} t left join reg on reg.external_key = t.external_id
    where ${changes}
    ${contractAwaitingExport(tx)}`;
  const queued = await tx`
    insert into pending_exports (run_id, task_id, page_no, origin_id, register_object_id, action)
    select ${args.runId}::uuid, ${args.taskId}, ${args.pageNo}, t.external_id, (select r.id from register_objects r where ${registerKey}), t.action
    from ${tx(PAGE_TABLE)} t where ${changes}
    on conflict (run_id, task_id, origin_id) do nothing`;
  return queued.count;
}

/**
 * The page's outcomes: a create or update names its target row (the destinations key rows by
 * origin id) unless the destination refused it or was not written; a refusal, by the mapping or
 * by the destination, is logged as failed with its reason.
 */
async function writeRunLog(tx: Tx, logs: RunLogWriter, args: PageRef, written: boolean, anyRefused: boolean): Promise<void> {
  const { successDays, errorDays } = logs.retention;
  const expires = (failed: boolean) => tx`now() + make_interval(days => ${failed ? errorDays : successDays}::int)`;
  await tx`
    insert into run_logs (run_id, task_id, origin_id, target_id, action, error, expires_at)
    select ${args.runId}::uuid, ${args.taskId}, t.external_id,
           case when ${written}::boolean and t.action <> 'failed' and not t.refused then t.external_id end,
           case t.action when 'create' then 'created' when 'update' then 'updated' else 'failed' end,
           case when t.action = 'failed' then t.error end,
           case when t.action = 'failed' then ${expires(true)} else ${expires(false)} end
    from ${tx(PAGE_TABLE)} t
    on conflict (run_id, task_id, origin_id, action) do nothing`;
  if (written && anyRefused) {
    await tx`
      insert into run_logs (run_id, task_id, origin_id, action, error, expires_at)
      select ${args.runId}::uuid, ${args.taskId}, t.external_id, 'failed', t.error, ${expires(true)}
      from ${tx(PAGE_TABLE)} t where t.refused
      on conflict (run_id, task_id, origin_id, action) do update set error = excluded.error`;
  }
}

/**
 * Diff: what the page decides is each object's current state, so exports an earlier run left open
 * for them are obsolete (a queued delete of an object that came back must not land). Most tasks
 * have none open; the check is one index probe.
 */
async function dropSupersededExports(tx: Tx, args: PageRef, rows: PageRow[]): Promise<void> {
  const decided = rows.filter(isDecided).map(externalIdOf);
  if (decided.length === 0) return;
  const [open] = await tx<{ open: boolean }[]>`
    select exists (select 1 from pending_exports where task_id = ${args.taskId} and status in ('Pending', 'Executing')) as open`;
  if (!open!.open) return;
  await tx`
    delete from pending_exports p
    where p.task_id = ${args.taskId} and p.status in ('Pending', 'Executing') and p.run_id <> ${args.runId}::uuid
      and p.origin_id = any(${decided}::text[])`;
}
