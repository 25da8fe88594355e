// The CData layer's lenient body reader: strict JSON, plus exactly two repairs — bare object keys
// and brackets left open at the end — for the bodies the CData documentation prints verbatim.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LenientJsonError, parseLenientJson, repair } from '../api/cdata/lenient-json';
import { SEED_EXECUTE, SEED_UPDATE_JOB } from './helpers/cdata-seeds';

describe('parseLenientJson', () => {
  test('valid JSON parses as JSON.parse does', () => {
    for (const text of ['{"a":1,"b":[true,null,"x"]}', '[1,2]', '"s"', '3.5', 'null', ' { "nested": { "k": [ {} ] } } ']) {
      assert.deepEqual(parseLenientJson(text), JSON.parse(text));
    }
  });

  test('empty or whitespace-only input is no body', () => {
    assert.equal(parseLenientJson(''), undefined);
    assert.equal(parseLenientJson(' \n\t '), undefined);
  });

  test('the seed execute body (unquoted key) parses', () => {
    assert.deepEqual(parseLenientJson(SEED_EXECUTE), { tasks: ['870237973789151200', '870875808946851841', '870875808946851842'] });
  });

  test('the seed job update body (missing final brace) parses', () => {
    assert.deepEqual(parseLenientJson(SEED_UPDATE_JOB), { name: 'reverseETLJob', schedule: { enabled: false, cron: '' } });
  });

  test('bare keys of identifier characters are quoted at any depth; values are left alone', () => {
    assert.deepEqual(parseLenientJson('{a: 1, _b2: {$c: [true, false, null]}, "d": "e: f"}'), { a: 1, _b2: { $c: [true, false, null] }, d: 'e: f' });
    assert.deepEqual(parseLenientJson('{ true : 1, null: 2 }'), { true: 1, null: 2 });
    // A string containing what looks like a bare key or a bracket is not touched.
    assert.deepEqual(parseLenientJson('{"q": "REPLICATE [A] SELECT * FROM [B]", k: "x\\"]{"}'), { q: 'REPLICATE [A] SELECT * FROM [B]', k: 'x"]{' });
  });

  test('several brackets left open at the end are closed in order', () => {
    assert.deepEqual(parseLenientJson('{"a": [1, {"b": [2'), { a: [1, { b: [2] }] });
    assert.deepEqual(parseLenientJson('[[1], [2'), [[1], [2]]);
    assert.deepEqual(parseLenientJson('{tasks: ["1", "2"]'), { tasks: ['1', '2'] });
  });

  test('a leading byte-order mark is ignored', () => {
    assert.deepEqual(parseLenientJson('\uFEFF{"a":1}'), { a: 1 });
  });

  test('anything else malformed is an error naming the problem', () => {
    const malformed = [
      "{'a': 1}", // single quotes
      '{"a": 1,}', // trailing comma
      '{"a": 1,', // trailing comma before the missing brace
      '{"a": }', // missing value
      '{"a":', // truncated value
      '{"a": "b', // unterminated string
      '{"a": 1]', // mismatched closer
      '{"a": 1}}', // stray closer
      '{"a": tru}', // bare word as a value
      '[a: 1]', // bare key outside an object
      '{a b: 1}', // key with a space
      '{a-b: 1}', // key with a non-identifier character
      '{"a": 1} x', // trailing garbage
      'tasks: [1]', // no object at all
    ];
    for (const text of malformed) {
      assert.throws(
        () => parseLenientJson(text),
        (err: unknown) => err instanceof LenientJsonError && /^Malformed JSON body: .+/.test(err.message),
        text,
      );
    }
  });

  test('the error reports positions in the text as sent, not the repaired one', () => {
    // The repaired text `{"a": 1,}` fails at its position 8: the closing brace, position 6 as sent.
    assert.throws(() => parseLenientJson('{a: 1,}'), (err: unknown) => err instanceof LenientJsonError && /at position 6 \(line 1 column 7\)/.test(err.message));
    // A message quoting the text quotes the text as sent, never the repaired one.
    assert.throws(() => parseLenientJson('{a: tru}'), (err: unknown) => err instanceof LenientJsonError && !err.message.includes('"a"'));
  });
});

describe('repair', () => {
  test('quotes bare keys and appends the closers, touching nothing else', () => {
    assert.equal(repair('{ tasks :[\n"1"]'), '{ "tasks" :[\n"1"]}');
    assert.equal(repair('{"a": {"b": 1}'), '{"a": {"b": 1}}');
    assert.equal(repair('{"a": "x}"'), '{"a": "x}"}');
  });
});
