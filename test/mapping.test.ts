import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonObject } from '../activities/connectors/types';
import { compileMapping, compileTargetSchema, MappingDefinitionError, MappingError, type MappingDefinition } from '../activities/mapping';

/** Mappings without JSONata are synchronous: a plain function from object to object. */
function compileSync(def: MappingDefinition): ((input: JsonObject) => JsonObject) & { fields: string[] } {
  const map = compileMapping(def);
  assert.equal(map.async, false);
  return Object.assign((input: JsonObject) => map(input) as JsonObject, { fields: map.fields });
}

const person: JsonObject = {
  id: 7,
  name: 'Anna de Jong',
  email: 'anna@example.org',
  active: true,
  score: 12.5,
  address: { city: 'Utrecht', zip: '3511 AB' },
  tags: ['vip', 'new'],
};

test('plain paths copy values with their type, nested and by array index', () => {
  const map = compileSync({
    mapping: { key: 'id', isActive: 'active', where: 'address', city: 'address.city', firstTag: 'tags.0', tags: 'tags' },
  });
  assert.deepEqual(map(person), {
    key: 7,
    isActive: true,
    where: { city: 'Utrecht', zip: '3511 AB' },
    city: 'Utrecht',
    firstTag: 'vip',
    tags: ['vip', 'new'],
  });
  assert.deepEqual(map.fields, ['key', 'isActive', 'where', 'city', 'firstTag', 'tags']);
});

test('a plain path whose source value is missing yields null, so the field is always there', () => {
  const map = compileSync({ mapping: { phone: 'phone', deep: 'address.street.number', beyond: 'tags.5', fromScalar: 'name.first' } });
  assert.deepEqual(map(person), { phone: null, deep: null, beyond: null, fromScalar: null });
});

test('paths never read inherited properties such as constructor or toString', () => {
  const map = compileSync({ mapping: { a: 'constructor', b: 'toString', c: 'tags.map', d: 'tags.length' } });
  assert.deepEqual(map(person), { a: null, b: null, c: null, d: 2 });
  assert.deepEqual(map({ constructor: 'own' }).a, 'own');
});

test('templates render strings: missing values as empty, objects as JSON, numbers as text', () => {
  const map = compileSync({
    mapping: {
      label: '{{ name }} <{{email}}>',
      summary: '#{{ id }} in {{ address.city }}{{ missing }}!',
      where: 'Address: {{ address }}',
      score: '{{ score }}',
    },
  });
  assert.deepEqual(map(person), {
    label: 'Anna de Jong <anna@example.org>',
    summary: '#7 in Utrecht!',
    where: 'Address: {"city":"Utrecht","zip":"3511 AB"}',
    score: '12.5',
  });
});

test('literals that are neither a path nor a template render as themselves', () => {
  const map = compileSync({ mapping: { source: 'CRM export', version: '1.0', empty: '' } });
  assert.deepEqual(map(person), { source: 'CRM export', version: '1.0', empty: '' });
});

test('dot-path targets create nested objects', () => {
  const map = compileSync({ mapping: { 'contact.email': 'email', 'contact.name': 'name', 'meta.origin.id': 'id' } });
  assert.deepEqual(map(person), {
    contact: { email: 'anna@example.org', name: 'Anna de Jong' },
    meta: { origin: { id: 7 } },
  });
  assert.deepEqual(map.fields, ['contact', 'meta']);
});

test('an empty mapping is the identity and returns a copy', () => {
  const map = compileSync({ mapping: {} });
  const output = map(person);
  assert.deepEqual(output, person);
  assert.notEqual(output, person);
  assert.deepEqual(map.fields, []);
});

test('passThrough starts from the input and the rules override or add', () => {
  const map = compileSync({ mapping: { name: '{{ name }} (imported)', 'address.country': 'country' }, passThrough: true });
  assert.deepEqual(map(person), {
    ...person,
    name: 'Anna de Jong (imported)',
    address: { city: 'Utrecht', zip: '3511 AB', country: null },
  });
  assert.deepEqual(map.fields, ['name', 'address']);
});

test('unset removes top-level and nested paths after mapping and ignores missing ones', () => {
  const map = compileSync({ mapping: {}, passThrough: true, unset: ['email', 'address.zip', 'nope', 'tags.0', 'x.y.z'] });
  assert.deepEqual(map(person), { id: 7, name: 'Anna de Jong', active: true, score: 12.5, address: { city: 'Utrecht' }, tags: ['new'] });

  const mapped = compileMapping({ mapping: { id: 'id', secret: 'email', 'contact.email': 'email', 'contact.name': 'name' }, unset: ['secret', 'contact.email'] });
  assert.deepEqual(mapped(person), { id: 7, contact: { name: 'Anna de Jong' } });
  assert.deepEqual(mapped.fields, ['id', 'contact']);
});

test('mapping never mutates its input, even with passThrough, nested writes, unset and casts', () => {
  const input = structuredClone(person);
  const snapshot = structuredClone(input);
  const map = compileSync({
    mapping: { 'address.city': '{{ address.city }}!', 'tags.0': 'name' },
    passThrough: true,
    unset: ['address.zip', 'tags.1'],
    casts: { 'address.city': 'json', score: 'integer' },
  });
  const output = map(input);
  assert.deepEqual(input, snapshot);
  assert.deepEqual(output.address, { city: '"Utrecht!"' });
  assert.deepEqual(output.tags, ['Anna de Jong']);
  assert.equal(output.score, 12);
});

test('casts apply in order after unset', () => {
  const map = compileSync({
    mapping: {
      count: 'count',
      ratio: 'ratio',
      flagA: 'flagA',
      flagB: 'flagB',
      flagC: 'flagC',
      flagD: 'flagD',
      text: 'number',
      blob: 'address',
      day: 'stamp',
      localDay: 'local',
      at: 'day',
      epochAt: 'epoch',
      roundTrip: 'count',
    },
    casts: {
      count: 'integer',
      ratio: 'float',
      flagA: 'boolean',
      flagB: 'boolean',
      flagC: 'boolean',
      flagD: 'boolean',
      text: 'string',
      blob: 'json',
      day: 'date',
      localDay: 'date',
      at: 'datetime',
      epochAt: 'datetime',
      roundTrip: 'float, string',
      missingField: 'integer',
    },
  });
  const output = map({
    count: '42.9',
    ratio: '3.25',
    flagA: 'YES',
    flagB: '0',
    flagC: 1,
    flagD: false,
    number: 12,
    address: { city: 'Breda' },
    stamp: '2024-03-05T10:00:00Z',
    local: '2024-05-01T00:30:00+02:00',
    day: '2024-03-05',
    epoch: 0,
  });
  assert.deepEqual(output, {
    count: 42,
    ratio: 3.25,
    flagA: true,
    flagB: false,
    flagC: true,
    flagD: false,
    text: '12',
    blob: '{"city":"Breda"}',
    day: '2024-03-05',
    localDay: '2024-05-01',
    at: '2024-03-05T00:00:00.000Z',
    epochAt: '1970-01-01T00:00:00.000Z',
    roundTrip: '42.9',
  });
  assert.equal('missingField' in output, false);
});

test('casts that cannot produce a value give null; nullable keeps null and empty strings null', () => {
  const map = compileSync({
    mapping: { a: 'a', b: 'b', c: 'c', d: 'd', e: 'e', f: 'f', g: 'g' },
    casts: { a: 'integer', b: 'date', c: 'string', d: 'nullable,string', e: 'nullable, integer', f: 'boolean', g: 'nullable,boolean' },
  });
  assert.deepEqual(map({ a: 'abc', b: 'not a date', c: null, d: null, e: '', f: null, g: null }), {
    a: null,
    b: null,
    c: '',
    d: null,
    e: null,
    f: false,
    g: null,
  });
  assert.deepEqual(map({ a: '7', b: '2024-01-02', c: 5, d: 5, e: '8', f: 'true', g: 'yes' }), {
    a: 7,
    b: '2024-01-02',
    c: '5',
    d: '5',
    e: 8,
    f: true,
    g: true,
  });
});

test('invalid definitions fail at compile time naming the field', () => {
  const failure = (def: Parameters<typeof compileMapping>[0], field: string, message: RegExp) =>
    assert.throws(
      () => compileMapping(def),
      (err: unknown) => err instanceof MappingDefinitionError && err.field === field && message.test(err.message),
    );
  failure({ mapping: { total: '=$sum(items.price' } }, 'total', /Invalid JSONata expression/);
  failure({ mapping: { id: 'id' }, casts: { id: 'integer,roman' } }, 'id', /Unknown cast "roman"/);
  failure({ mapping: { label: '{{ name | upper }}' } }, 'label', /plain paths/);
  failure({ mapping: { label: 'Hi {{ name' } }, 'label', /Unclosed/);
  failure({ mapping: { 'a..b': 'id' } }, 'a..b', /Invalid path/);
  failure({ mapping: { n: 1 as unknown as string } }, 'n', /must be a string/);
});

test('= rules are JSONata expressions: the mapping turns async and keeps rule order, casts and unset', async () => {
  const map = compileMapping({
    mapping: {
      id: 'id',
      total: '=$sum(items.price)',
      names: '=items.name',
      upper: '=$uppercase(name)',
      missing: '=nothing.here',
      'meta.count': '=$count(items)',
    },
    casts: { total: 'string' },
    unset: ['meta.drop'],
  });
  assert.equal(map.async, true);
  const output = await map({ id: 1, name: 'ann', items: [{ name: 'a', price: 2 }, { name: 'b', price: 3.5 }] });
  assert.deepEqual(output, { id: 1, total: '5.5', names: ['a', 'b'], upper: 'ANN', missing: null, meta: { count: 2 } });
  // The result is plain JSON (JSONata tags arrays as sequences): it round-trips unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(output)), output);
});

test('a JSONata expression that fails at run time fails that record with a MappingError naming the field', async () => {
  const map = compileMapping({ mapping: { n: '=$number(code)' } });
  await assert.rejects(async () => map({ code: 'abc' }), (err: unknown) => err instanceof MappingError && err.field === 'n');
});

test('the target schema names the field it refuses', () => {
  const check = compileTargetSchema({
    type: 'object',
    required: ['id', 'name'],
    properties: { id: { type: 'integer' }, name: { type: 'string' }, address: { type: 'object', properties: { zip: { type: 'string' } }, additionalProperties: false } },
    additionalProperties: false,
  });
  assert.deepEqual(check({ id: 1, name: 'a' }), []);
  assert.deepEqual(check({ id: 1 }), [{ path: 'name', message: 'required field name missing' }]);
  assert.deepEqual(check({ id: 1, name: 'a', extra: true }), [{ path: 'extra', message: 'schema does not allow field extra' }]);
  assert.deepEqual(check({ id: 1, name: 'a', address: { zip: 5, street: 'x' } }), [
    { path: 'address.street', message: 'schema does not allow field address.street' },
    { path: 'address.zip', message: 'field address.zip must be string' },
  ]);
  assert.throws(() => compileTargetSchema({ type: 'nonsense' }), (err: unknown) => err instanceof MappingDefinitionError && err.field === 'targetSchema');
});
