import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { hashObject, sha256Into, stableStringify } from '../activities/hashing';

test('stableStringify sorts object keys at every level and keeps array order', () => {
  const value = { b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } };
  assert.equal(stableStringify(value), '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  assert.equal(stableStringify([2, 1]), '[2,1]');
});

test('stableStringify matches JSON.stringify on values whose keys are already sorted', () => {
  const samples: unknown[] = [
    { a: 'quote " backslash \\ newline \n tab \t', b: 'ünïcödé ✓ \u0001', c: '', d: 'lone \ud800 surrogate', e: 'del \u007f' },
    { a: 'x'.repeat(500), b: -0.5, c: 1e21, d: 12345678901234 },
    [null, true, false, 0, 'a', [], {}],
    'plain',
    42,
  ];
  for (const sample of samples) assert.equal(stableStringify(sample), JSON.stringify(sample));
});

test('stableStringify follows JSON.stringify for undefined, functions, non-finite numbers and toJSON', () => {
  const value = { keep: 1, gone: undefined, fn: () => 1, nan: NaN, inf: -Infinity, list: [undefined, () => 1], at: new Date(0) };
  assert.equal(stableStringify(value), '{"at":"1970-01-01T00:00:00.000Z","inf":null,"keep":1,"list":[null,null],"nan":null}');
  assert.equal(stableStringify(undefined), 'null');
  assert.throws(() => stableStringify({ big: 1n }), TypeError);
});

test('stableStringify sorts objects with many keys too', () => {
  const keys = Array.from({ length: 40 }, (_, i) => `k${String(39 - i).padStart(2, '0')}`);
  const value = Object.fromEntries(keys.map((key) => [key, key]));
  const sortedKeys = [...keys].sort();
  assert.equal(stableStringify(value), JSON.stringify(Object.fromEntries(sortedKeys.map((key) => [key, key]))));
});

test('hashObject is key-order insensitive but order, type and value sensitive', () => {
  const base = hashObject({ id: 1, name: 'a', tags: ['x', 'y'], nested: { p: 1, q: 2 } });
  assert.match(base, /^[0-9a-f]{64}$/);
  assert.equal(hashObject({ nested: { q: 2, p: 1 }, tags: ['x', 'y'], name: 'a', id: 1 }), base);
  assert.notEqual(hashObject({ id: 1, name: 'a', tags: ['y', 'x'], nested: { p: 1, q: 2 } }), base);
  assert.notEqual(hashObject({ id: '1', name: 'a', tags: ['x', 'y'], nested: { p: 1, q: 2 } }), base);
  assert.notEqual(hashObject({ id: 1, name: 'b', tags: ['x', 'y'], nested: { p: 1, q: 2 } }), base);
  assert.notEqual(hashObject({ id: 1, name: 'a', tags: ['x', 'y'], nested: { p: 1, q: 2, r: null } }), base);
});

test('hashObject is the hex SHA-256 of the stable string', () => {
  const value = { b: [1, 2], a: 'x' };
  assert.equal(hashObject(value), createHash('sha256').update('{"a":"x","b":[1,2]}').digest('hex'));
});

test('sha256Into writes the SHA-256 of bytes where it is told, and nothing else', () => {
  const target = Buffer.alloc(3 * 32, 0xee);
  const inputs = [Buffer.from('{"id":1}'), Buffer.from([0x00, 0xff, 0x80, 0x7f, 0xc3, 0xa9]), Buffer.alloc(0)];
  sha256Into(inputs[1]!, target, 32);
  assert.ok(target.subarray(0, 32).every((b) => b === 0xee), 'the bytes before are untouched');
  assert.ok(target.subarray(64).every((b) => b === 0xee), 'the bytes after are untouched');
  for (const [i, input] of inputs.entries()) sha256Into(input, target, i * 32);
  for (const [i, input] of inputs.entries()) {
    assert.equal(target.subarray(i * 32, (i + 1) * 32).toString('hex'), createHash('sha256').update(input).digest('hex'));
  }
});
