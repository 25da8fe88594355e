// Turns what goes wrong inside an activity into a Temporal failure with a stable code (the
// failure `type`), deciding once whether a retry can help.
import { ApplicationFailure, Context } from '@temporalio/activity';

export class SyncError extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly retryable: boolean,
    public readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SyncError';
  }
}

/** PostgreSQL SQLSTATE classes that a retry cannot fix: data, integrity, syntax/undefined objects. */
const PERMANENT_SQLSTATE_CLASSES = new Set(['22', '23', '42', '2B', '44']);

export function toActivityFailure(err: unknown, fallbackCode: string): unknown {
  if (err instanceof ApplicationFailure) return err;
  const e = err as { code?: unknown; retryable?: unknown; retryAfterMs?: unknown; message?: unknown; name?: unknown };
  if (e && typeof e.code === 'string' && typeof e.retryable === 'boolean') {
    return ApplicationFailure.create({
      type: e.code,
      message: String(e.message),
      nonRetryable: !e.retryable,
      ...(typeof e.retryAfterMs === 'number' ? { nextRetryDelay: e.retryAfterMs } : {}),
    });
  }
  // postgres.js errors carry the SQLSTATE in `code`.
  if (e && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    const permanent = PERMANENT_SQLSTATE_CLASSES.has(e.code.slice(0, 2));
    return ApplicationFailure.create({ type: `${fallbackCode}_${e.code}`, message: String(e.message), nonRetryable: permanent });
  }
  return err;
}

/** How often a running step tells Temporal it is alive (the steps' heartbeat timeout is 30 s). */
const HEARTBEAT_EVERY_MS = 10_000;

/**
 * Runs an activity body, converting known errors into failures with codes. It heartbeats while
 * the body runs, so one long statement (a set-based pass over a large table) is not mistaken for
 * a dead worker and retried alongside itself.
 */
export async function withFailureCodes<T>(fallbackCode: string, body: () => Promise<T>): Promise<T> {
  const timer = setInterval(heartbeatIfInActivity, HEARTBEAT_EVERY_MS);
  try {
    return await body();
  } catch (err) {
    throw toActivityFailure(err, fallbackCode);
  } finally {
    clearInterval(timer);
  }
}

function heartbeatIfInActivity(): void {
  try {
    Context.current().heartbeat();
  } catch {
    // Called outside an activity (a unit test driving a step directly): nothing to tell.
  }
}
