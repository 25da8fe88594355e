// Maps source objects with a task's compiled mapping and target schema: shared by the import
// (which has the records at hand) and the map step (which reads them from the connector space).
import type { JsonObject } from './connectors/types';
import { hashedJson } from './hashing';
import { MappingError } from './mapping';
import type { RunLogEntry } from './run-logs';
import type { TaskContext } from './task-context';

/** One object's mapping: the target object and its hash, or why it goes no further. */
export interface MappedRecord {
  external_id: string;
  mapped: unknown;
  target_hash: string | null;
  /** The mapped object's stable JSON (what target_hash hashes); null when it was not mapped. */
  json: string | null;
  error: string | null;
  /** Left out by the task's filter (not an error). */
  skipped: boolean;
}

/** Objects mapped between two turns of the event loop (as few as records hashed: see HASH_SLICE in steps/import-page.ts). */
const YIELD_EVERY = 200;

/** Picks, maps and checks source objects with the task's compiled mapping and target schema; refusals come as run-log entries. */
export async function mapRecords(ctx: TaskContext, objects: { external_id: string; data: JsonObject }[]) {
  const failures: RunLogEntry[] = [];
  const results: MappedRecord[] = [];
  let skipped = 0;
  for (let i = 0; i < objects.length; i++) {
    // Giving way now and then: a page's writes meanwhile wait for their database answers on this thread.
    if (i > 0 && i % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const { external_id, data } = objects[i]!;
    const selected = ctx.selectRecord ? ctx.selectRecord(data) : data;
    if (selected === undefined) {
      skipped++;
      results.push({ external_id, mapped: null, target_hash: null, json: null, error: null, skipped: true });
      continue;
    }
    try {
      const out = ctx.map(selected);
      const mapped = out instanceof Promise ? await out : out;
      const problems = ctx.validate(mapped);
      if (problems.length > 0) throw new MappingError(problems[0]!.path, problems.map((p) => p.message).join('; '));
      const { json, hash } = hashedJson(mapped);
      results.push({ external_id, mapped, target_hash: hash, json, error: null, skipped: false });
    } catch (err) {
      const error = err instanceof MappingError ? `${err.field}: ${err.message}` : err instanceof Error ? err.message : String(err);
      failures.push({ originId: external_id, action: 'failed', error });
      results.push({ external_id, mapped: null, target_hash: null, json: null, error, skipped: false });
    }
  }
  return { results, failures, skipped };
}
