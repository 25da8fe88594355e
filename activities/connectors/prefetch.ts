// Reads a source's next page while the current one is being written: an import asks for page N+1
// as soon as it has page N's cursor, and the next import (on this worker) takes the result instead
// of waiting for the source again. A prefetched page nobody takes is dropped after a while, and a
// failed one is read again by the import itself, so errors surface (and retry) as before.

/** A read in progress or done, with what stops it when nobody comes for it. */
interface Prefetched<T> {
  result: Promise<T>;
  controller: AbortController;
  timer: NodeJS.Timeout;
}

export class Prefetcher<T> {
  private readonly entries = new Map<string, Prefetched<T>>();

  /**
   * @param maxEntries pages held at once (each holds a whole page in memory); beyond it nothing
   *   more is prefetched
   * @param ttlMs how long a page waits to be taken (a paused run, a run handed to another worker)
   */
  constructor(
    private readonly maxEntries = 2,
    private readonly ttlMs = 30_000,
  ) {}

  /** Starts reading `key` in the background, unless it is already being read or too many are held. */
  start(key: string, read: (signal: AbortSignal) => Promise<T>): void {
    if (this.entries.has(key) || this.entries.size >= this.maxEntries) return;
    const controller = new AbortController();
    const result = read(controller.signal);
    // Observed here: a failed prefetch is only reported if the import takes it (and reads again).
    result.catch(() => undefined);
    const timer = setTimeout(() => this.drop(key), this.ttlMs);
    timer.unref();
    this.entries.set(key, { result, controller, timer });
  }

  /** The prefetched read of `key`, handed over once; undefined when there is none. */
  take(key: string): Promise<T> | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.entries.delete(key);
    return entry.result;
  }

  /** The read of `key` in progress or done, left in place; undefined when there is none. */
  peek(key: string): Promise<T> | undefined {
    return this.entries.get(key)?.result;
  }

  /** Abandons every read in progress (the worker is shutting down). */
  clear(): void {
    for (const key of [...this.entries.keys()]) this.drop(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.controller.abort();
    this.entries.delete(key);
  }
}
