// The read-ahead behind the import: a page is handed over once, a page nobody takes is dropped
// (its read aborted), and the number of pages held at once is capped.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Prefetcher } from '../activities/connectors/prefetch';

/** A read that ends when told to, or when aborted. */
function pendingRead() {
  let finish!: (value: string) => void;
  const state = { aborted: false, started: 0 };
  const read = (signal: AbortSignal) => {
    state.started++;
    return new Promise<string>((resolve, reject) => {
      finish = resolve;
      signal.addEventListener('abort', () => {
        state.aborted = true;
        reject(new Error('aborted'));
      });
    });
  };
  return { read, state, finish: (value: string) => finish(value) };
}

describe('prefetcher', () => {
  test('a prefetched read is handed over once, with its result', async () => {
    const prefetcher = new Prefetcher<string>();
    const pending = pendingRead();
    prefetcher.start('page-2', pending.read);
    prefetcher.start('page-2', pending.read);
    assert.equal(pending.state.started, 1, 'the same page is read once');
    const taken = prefetcher.take('page-2');
    assert.ok(taken);
    assert.equal(prefetcher.take('page-2'), undefined, 'taken once');
    pending.finish('records of page 2');
    assert.equal(await taken, 'records of page 2');
    assert.equal(pending.state.aborted, false);
  });

  test('a read nobody takes is dropped and aborted after its time', async () => {
    const prefetcher = new Prefetcher<string>(2, 50);
    const pending = pendingRead();
    prefetcher.start('page-9', pending.read);
    assert.equal(prefetcher.size, 1);
    await sleep(200);
    assert.equal(prefetcher.size, 0);
    assert.equal(pending.state.aborted, true);
    assert.equal(prefetcher.take('page-9'), undefined);
  });

  test('no more pages are read ahead than it may hold', () => {
    const prefetcher = new Prefetcher<string>(2);
    const reads = [pendingRead(), pendingRead(), pendingRead()];
    reads.forEach((r, i) => prefetcher.start(`page-${i}`, r.read));
    assert.deepEqual(reads.map((r) => r.state.started), [1, 1, 0]);
    assert.equal(prefetcher.size, 2);
    prefetcher.clear();
    assert.equal(prefetcher.size, 0);
    assert.ok(reads.slice(0, 2).every((r) => r.state.aborted));
  });

  test('a failed read is handed over as it failed (the import then reads again)', async () => {
    const prefetcher = new Prefetcher<string>();
    prefetcher.start('page-3', () => Promise.reject(new Error('503 from the source')));
    await sleep(10);
    await assert.rejects(prefetcher.take('page-3')!, /503 from the source/);
  });
});
