// A query run from inside a closure must not keep what that closure held once it is done: postgres.js
// keeps an Error from the first query of each call site, whose unformatted stack would hold the
// closure (db/client.ts, formatQueryOriginsAsTheyRun). In the worker that was a whole page of records.
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from './helpers/database';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database?.drop();
});

/** Collects until the target is gone or the tries run out; whether it is gone. */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  for (let i = 0; i < 10; i++) {
    // A WeakRef's target stays alive until the turn that read it has ended.
    await turn();
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

/** Runs, from a closure holding a page of objects, the first query of a call site; a weak reference to the page. */
async function queryFromClosure(): Promise<WeakRef<object>> {
  const page = { records: Array.from({ length: 10_000 }, (_, i) => ({ id: i, name: `record ${i}` })) };
  const ref = new WeakRef(page);
  const countRecords = async () => {
    const [row] = await database.sql<{ n: number }[]>`select ${page.records.length}::int as n`;
    return row!.n;
  };
  assert.equal(await countRecords(), 10_000);
  return ref;
}

test('what a closure held is collected once its query is done, although postgres.js keeps an Error of that call site', async () => {
  const ref = await queryFromClosure();
  assert.equal(await collected(ref), true, 'the page the closure held is still reachable');
});

test('a failed query still names its call site in its stack', async () => {
  const failing = async () => database.sql`select no_such_column from (select 1) t`;
  const err = await failing().then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  assert.ok(err instanceof Error);
  assert.match(err.message, /no_such_column/);
  assert.match(err.stack ?? '', /query-origins\.test\.ts/);
});
