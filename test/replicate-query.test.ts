// The task query language (REPLICATE ... SELECT ... FROM ... [WHERE ...]) and the record
// selection the engine derives from it. Pure functions: no database, no Temporal.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileRecordSelection } from '../activities/record-selection';
import { formatReplicateQuery, parseReplicateQuery, ReplicateQueryError } from '../api/replicate-query';

/** Asserts that `text` fails to parse at `position` with a message naming what was expected there. */
function assertFailsAt(text: string, position: number, expected: string) {
  assert.throws(
    () => parseReplicateQuery(text),
    (err: unknown) => {
      assert.ok(err instanceof ReplicateQueryError, String(err));
      assert.equal(err.position, position, err.message);
      assert.ok(err.message.startsWith(`expected ${expected} at position ${position}`), err.message);
      return true;
    },
  );
}

describe('parseReplicateQuery', () => {
  test('the CData example: bracketed names, SELECT *', () => {
    assert.deepEqual(parseReplicateQuery('REPLICATE [Accounts] SELECT * FROM [Accounts]'), {
      targetEntity: 'Accounts',
      sourceEntity: 'Accounts',
      columns: null,
      filter: null,
    });
  });

  test('bare names, lower-case keywords, a column list, extra whitespace and a trailing semicolon', () => {
    assert.deepEqual(parseReplicateQuery('  replicate accounts\n  select id,name ,  email\n  from Contacts ; '), {
      targetEntity: 'accounts',
      sourceEntity: 'Contacts',
      columns: ['id', 'name', 'email'],
      filter: null,
    });
  });

  test('bracketed names may hold spaces, paths and ]] for a bracket', () => {
    assert.deepEqual(parseReplicateQuery('REPLICATE [people] SELECT [First Name], [a]]b] FROM [/api/v1/people?active=true]'), {
      targetEntity: 'people',
      sourceEntity: '/api/v1/people?active=true',
      columns: ['First Name', 'a]b'],
      filter: null,
    });
  });

  test('WHERE with a string literal (with an escaped quote)', () => {
    assert.deepEqual(parseReplicateQuery("REPLICATE t SELECT * FROM s WHERE [last name] = 'O''Brien'").filter, { field: 'last name', op: '=', value: "O'Brien" });
    assert.deepEqual(parseReplicateQuery("REPLICATE t SELECT * FROM s where updatedAt >= '2024-01-01'").filter, { field: 'updatedAt', op: '>=', value: '2024-01-01' });
  });

  test('WHERE with numbers, and every comparison operator', () => {
    assert.deepEqual(parseReplicateQuery('REPLICATE t SELECT * FROM s WHERE score > 50.5').filter, { field: 'score', op: '>', value: 50.5 });
    assert.deepEqual(parseReplicateQuery('REPLICATE t SELECT * FROM s WHERE delta<-3').filter, { field: 'delta', op: '<', value: -3 });
    for (const op of ['=', '!=', '<>', '>', '>=', '<', '<='] as const) {
      assert.deepEqual(parseReplicateQuery(`REPLICATE t SELECT * FROM s WHERE n ${op} 1e3`).filter, { field: 'n', op, value: 1000 }, op);
    }
  });

  test('errors name what was expected and the 0-based position', () => {
    assertFailsAt('REPLICATE [T] SELECT * FORM [S]', 23, 'FROM');
    assert.throws(() => parseReplicateQuery('REPLICATE [T] SELECT * FORM [S]'), { message: 'expected FROM at position 23, found "FORM"' });
    assertFailsAt('', 0, 'REPLICATE');
    assertFailsAt('SELECT * FROM s', 0, 'REPLICATE');
    assertFailsAt('REPLICATEx t SELECT * FROM s', 0, 'REPLICATE');
    assertFailsAt('REPLICATE [T] SELECT FROM [S]', 21, 'column or *');
    assertFailsAt('REPLICATE [T] SELECT a, FROM [S]', 24, 'column');
    assertFailsAt('REPLICATE [T] SELECT *', 22, 'FROM');
    assertFailsAt('REPLICATE [T] SELECT * FROM', 27, 'source entity');
    assertFailsAt('REPLICATE [] SELECT * FROM s', 10, 'target entity');
    assertFailsAt('REPLICATE [T] SELECT * FROM [S] WHERE x ~ 1', 40, 'a comparison');
    assertFailsAt('REPLICATE [T] SELECT * FROM [S] WHERE x = abc', 42, "a 'string' or a number");
    assertFailsAt('REPLICATE [T] SELECT * FROM [S] extra', 32, 'end of query');
    assertFailsAt('REPLICATE [T] SELECT * FROM [S] WHERE a = 1 AND b = 2', 44, 'end of query');
  });

  test('an unclosed bracket or string is reported at the end of the query', () => {
    assertFailsAt('REPLICATE [T SELECT * FROM S', 28, ']');
    // A later ] closes it: the whole run becomes the name, and SELECT is then missing.
    assertFailsAt('REPLICATE [T SELECT * FROM [S]', 30, 'SELECT');
    const text = "REPLICATE t SELECT * FROM s WHERE a = 'open";
    assertFailsAt(text, text.length, "'");
  });

  test('formatReplicateQuery spells structured fields so that they parse back unchanged', () => {
    const query = { targetEntity: 'people', sourceEntity: '/api/[v1]/people', columns: ['id', 'First Name'], filter: { field: 'city', op: '<>' as const, value: "Den 'Bosch" } };
    assert.deepEqual(parseReplicateQuery(formatReplicateQuery(query)), query);
    const plain = { targetEntity: 't', sourceEntity: 's', columns: null, filter: { field: 'n', op: '<=' as const, value: -2.5 } };
    assert.deepEqual(parseReplicateQuery(formatReplicateQuery(plain)), plain);
    assert.equal(formatReplicateQuery({ targetEntity: 'Accounts', sourceEntity: 'Accounts', columns: null, filter: null }), 'REPLICATE [Accounts] SELECT * FROM [Accounts]');
  });
});

describe('compileRecordSelection (the engine side of a query)', () => {
  const record = { id: 7, name: 'Anna', score: 512.5, city: 'Utrecht', createdAt: '2023-05-01T00:00:00Z', code: '0042', tags: ['vip'] };

  test('no columns and no filter: nothing to do', () => {
    assert.equal(compileRecordSelection(null, null, 'id'), undefined);
  });

  test('columns project the record and always keep the id field', () => {
    const select = compileRecordSelection(['name', 'score', 'missing'], null, 'id')!;
    assert.deepEqual(select(record), { id: 7, name: 'Anna', score: 512.5 });
    assert.deepEqual(compileRecordSelection(['name'], null, 'meta.key')!({ meta: { key: 'k' }, name: 'x', other: 1 }), { meta: { key: 'k' }, name: 'x' });
  });

  test('a filter keeps matching records and skips the rest (undefined), SQL-like on missing values', () => {
    const keeps = (field: string, op: '=' | '!=' | '<>' | '>' | '>=' | '<' | '<=', value: string | number) =>
      compileRecordSelection(null, { field, op, value }, 'id')!(record) !== undefined;
    assert.equal(keeps('score', '>', 500), true);
    assert.equal(keeps('score', '<=', 500), false);
    assert.equal(keeps('code', '=', 42), true, 'a numeric string compares as a number with a number literal');
    assert.equal(keeps('score', '>', '500'), true, 'a number field compares numerically with a numeric string literal');
    assert.equal(keeps('city', '<>', 'Breda'), true);
    assert.equal(keeps('city', '=', 'Breda'), false);
    assert.equal(keeps('createdAt', '>=', '2023-01-01'), true, 'ISO dates compare as text, in time order');
    assert.equal(keeps('missing', '!=', 'x'), false, 'a missing field matches nothing, not even !=');
    assert.equal(keeps('tags', '=', 'vip'), false, 'an array matches nothing');
    assert.equal(keeps('name', '>', 5), false, 'a non-numeric value never matches a number literal');
  });

  test('filter and columns together: the filter sees the whole record, the output only the columns', () => {
    const select = compileRecordSelection(['name'], { field: 'city', op: '=', value: 'Utrecht' }, 'id')!;
    assert.deepEqual(select(record), { id: 7, name: 'Anna' });
    assert.equal(select({ ...record, city: 'Breda' }), undefined);
  });
});
