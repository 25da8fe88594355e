import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  discoverFiles,
  discoverHttpJson,
  discoverPostgres,
  inferFields,
  postgresFieldType,
} from '../activities/connectors/discovery';
import { SyncError } from '../activities/errors';
import type { JsonObject } from '../activities/connectors/types';
import { createTestDatabase, type TestDatabase } from './helpers/database';
import { generateRecords, startSourceServer, type SourceServer } from './helpers/source-server';

let server: SourceServer;
let database: TestDatabase;
let dir: string;

before(async () => {
  server = await startSourceServer({ records: generateRecords(45) });
  database = await createTestDatabase();
  dir = await mkdtemp(path.join(tmpdir(), 'syncline-discovery-'));
});
after(async () => {
  await server.close();
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

test('field inference: union over the sample, first-seen order', () => {
  const records: JsonObject[] = [
    { id: 1, price: 10, name: 'a', when: '2024-05-01T10:00:00Z', day: '2024-05-01', maybe: null, mixed: 'x', tags: [], address: { city: 'A' } },
    { id: 2, price: 10.5, name: null, when: '2024-05-02T10:00:00.123+02:00', day: '2024-05-02', maybe: null, mixed: 3, flag: false },
    { id: 3, when: 'not a date', day: '2024-05-03' },
  ];
  assert.deepEqual(inferFields(records), [
    { name: 'id', type: 'integer' },
    { name: 'price', type: 'number' },
    { name: 'name', type: 'string' },
    { name: 'when', type: 'string' },
    { name: 'day', type: 'datetime' },
    { name: 'maybe', type: 'null' },
    { name: 'mixed', type: 'unknown' },
    { name: 'tags', type: 'array' },
    { name: 'address', type: 'object' },
    { name: 'flag', type: 'boolean' },
  ]);
  assert.deepEqual(inferFields([]), []);
});

test('http-json: one sample page per entity, types inferred from the records', async () => {
  const before = server.requestCount;
  const schema = await discoverHttpJson({
    config: { baseUrl: server.url, pagination: { type: 'page' }, totalPath: 'total' },
    secrets: {},
    entities: [{ entity: '/records', resultsPosition: 'data.items' }, { entity: '/records-root', idField: 'id' }, { entity: '/records-offset' }],
  });
  assert.equal(server.requestCount - before, 3);
  assert.ok(server.requests.slice(-3).every((request) => /pageSize=20/.test(request)));
  const expectedFields = [
    { name: 'id', type: 'integer' },
    { name: 'name', type: 'string' },
    { name: 'email', type: 'string' },
    { name: 'active', type: 'boolean' },
    { name: 'score', type: 'number' },
    { name: 'createdAt', type: 'datetime' },
    { name: 'updatedAt', type: 'datetime' },
    { name: 'address', type: 'object' },
    { name: 'tags', type: 'array' },
  ];
  assert.deepEqual(schema, {
    entities: [
      { name: '/records', fields: expectedFields },
      { name: '/records-root', fields: expectedFields },
      { name: '/records-offset', fields: expectedFields },
    ],
  });
});

test('http-json: a source error surfaces as it is', async () => {
  server.failNext(404);
  await assert.rejects(
    discoverHttpJson({ config: { baseUrl: server.url }, secrets: {}, entities: [{ entity: '/records' }] }),
    (err: unknown) => err instanceof SyncError && err.code === 'SOURCE_HTTP_404',
  );
});

test('postgres: tables and views of the schema with mapped column types', async () => {
  await database.sql.unsafe(`
    create schema disco;
    create type disco.mood as enum ('happy', 'sad');
    create table disco.things (
      id bigint primary key, small smallint, count integer, price numeric(10, 2), ratio real, score double precision,
      ok boolean, name text, code varchar(10), letter char(1), uid uuid, meta jsonb, raw json, tags text[],
      created timestamptz, local timestamp, day date, at time, span interval, mood disco.mood, blob bytea
    );
    create view disco.thing_names as select id, name from disco.things;
  `);
  const schema = await discoverPostgres(database.sql, 'disco');
  assert.deepEqual(schema.entities, [
    {
      name: 'thing_names',
      fields: [
        { name: 'id', type: 'integer' },
        { name: 'name', type: 'string' },
      ],
    },
    {
      name: 'things',
      fields: [
        { name: 'id', type: 'integer' },
        { name: 'small', type: 'integer' },
        { name: 'count', type: 'integer' },
        { name: 'price', type: 'number' },
        { name: 'ratio', type: 'number' },
        { name: 'score', type: 'number' },
        { name: 'ok', type: 'boolean' },
        { name: 'name', type: 'string' },
        { name: 'code', type: 'string' },
        { name: 'letter', type: 'string' },
        { name: 'uid', type: 'string' },
        { name: 'meta', type: 'object' },
        { name: 'raw', type: 'object' },
        { name: 'tags', type: 'array' },
        { name: 'created', type: 'datetime' },
        { name: 'local', type: 'datetime' },
        { name: 'day', type: 'datetime' },
        { name: 'at', type: 'string' },
        { name: 'span', type: 'string' },
        { name: 'mood', type: 'string' },
        { name: 'blob', type: 'string' },
      ],
    },
  ]);
  // The default schema is public (the read model's own tables live there in this database).
  assert.ok((await discoverPostgres(database.sql)).entities.length > 0);
  assert.deepEqual(await discoverPostgres(database.sql, 'no_such_schema'), { entities: [] });
  assert.equal(postgresFieldType('USER-DEFINED', 'c'), 'unknown');
});

test('files: csv headers and the first jsonl lines, only data files directly in the directory', async () => {
  await writeFile(path.join(dir, 'accounts.csv'), '\uFEFFid,"full, name",email\r\n1,"a, b",x@y\r\n');
  await writeFile(path.join(dir, 'empty.csv'), '');
  const lines = Array.from({ length: 25 }, (_, i) =>
    JSON.stringify(i < 20 ? { id: i + 1, amount: i % 2 ? 1.5 : 2, when: '2024-01-01T00:00:00Z', nested: { a: 1 }, note: i === 3 ? 'x' : null } : { id: i + 1, late: true }),
  );
  await writeFile(path.join(dir, 'events.jsonl'), `${lines.join('\n')}\n`);
  await writeFile(path.join(dir, 'more.ndjson'), '{"k":"v"}\n');
  await writeFile(path.join(dir, 'notes.txt'), 'not data');
  await writeFile(path.join(dir, '.hidden.csv'), 'a\n');
  await mkdir(path.join(dir, 'nested'));
  await writeFile(path.join(dir, 'nested', 'inner.csv'), 'a\n');

  const schema = await discoverFiles({ directory: dir });
  assert.deepEqual(schema.entities, [
    {
      name: 'accounts.csv',
      fields: [
        { name: 'id', type: 'string' },
        { name: 'full, name', type: 'string' },
        { name: 'email', type: 'string' },
      ],
    },
    { name: 'empty.csv', fields: [] },
    {
      name: 'events.jsonl',
      fields: [
        { name: 'id', type: 'integer' },
        { name: 'amount', type: 'number' },
        { name: 'when', type: 'datetime' },
        { name: 'nested', type: 'object' },
        { name: 'note', type: 'string' },
      ],
    },
    { name: 'more.ndjson', fields: [{ name: 'k', type: 'string' }] },
  ]);

  await assert.rejects(discoverFiles({ directory: path.join(dir, 'missing') }), (err: unknown) => err instanceof SyncError && err.code === 'FILE_NOT_FOUND');
});
