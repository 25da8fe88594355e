// A first run's pages are copied straight into their tables (COPY, no merging statement): the
// look-up found none of their objects there. Should a key be there after all — another task's
// register object or destination row, an object met twice in a run, a concurrent writer — the
// COPY fails with a unique violation and the page merges instead; so does the rest of that scope
// (a run's task, say) in this process, so that a job whose objects exist already does not fail a
// COPY on every page.

const conflicted = new Set<string>();
/** Bounded: forgetting a scope only costs one more failed COPY. */
const MAX_CONFLICT_SCOPES = 1_000;

export const UNIQUE_VIOLATION = '23505';

/** The scope of a run's task writing one table: a conflict met there holds for its other pages. */
export function freshScope(table: 'space' | 'register' | 'destination', page: { runId: string; taskId: number }): string {
  return `${table}:${page.runId}:${page.taskId}`;
}

/** Whether a COPY of this scope met an existing key. */
export function metKeyConflict(scope: string): boolean {
  return conflicted.has(scope);
}

/** Notes a failed COPY of the scope when it failed on an existing key; says whether it did. */
export function noteKeyConflict(scope: string, err: unknown): boolean {
  if ((err as { code?: unknown }).code !== UNIQUE_VIOLATION) return false;
  if (conflicted.size >= MAX_CONFLICT_SCOPES) conflicted.clear();
  conflicted.add(scope);
  return true;
}

/** Runs a fresh page's COPY transaction: what it answered, or undefined when it met an existing key (other errors are thrown). */
export async function copyingFresh<T>(scope: string, write: () => Promise<T>): Promise<{ value: T } | undefined> {
  try {
    return { value: await write() };
  } catch (err) {
    if (!noteKeyConflict(scope, err)) throw err;
    return undefined;
  }
}
