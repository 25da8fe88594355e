// Connected system routes end to end: CRUD, connection tests and schema import for each connector
// type against real systems (a local HTTP source, this PostgreSQL, a directory of files), and
// secrets that never come back in any response.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startSourceServer, generateRecords, type SourceServer } from './helpers/source-server';
import { call, startTestStack, type TestStack } from './helpers/stack';

const TOKEN = 'tok-7f3a9c1e-very-secret';
const PG_PASSWORD = 'pg-password-never-shown';

describe('API: connected systems', () => {
  let stack: TestStack;
  let source: SourceServer;
  let workspaceId: number;
  let directory: string;
  const responses: string[] = [];

  // Every response body of this suite is kept, to check no secret was ever echoed.
  const api = async (method: string, url: string, body?: unknown) => {
    const res = await call(stack.app, method, url, body);
    responses.push(JSON.stringify(res.body ?? null));
    return res;
  };

  before(async () => {
    [stack, source] = await Promise.all([startTestStack(), startSourceServer({ records: generateRecords(30), requireToken: TOKEN })]);
    workspaceId = (await api('POST', '/api/v1/workspaces', { name: 'systems' })).body.id;
    directory = mkdtempSync(path.join(os.tmpdir(), 'syncline-systems-'));
    writeFileSync(path.join(directory, 'people.csv'), 'id,name,email\n1,Ann,ann@example.org\n');
    writeFileSync(path.join(directory, 'orders.jsonl'), '{"id":1,"total":9.5,"paid":true}\n{"id":2,"total":3,"paid":false}\n');
    await stack.database.sql.unsafe('create schema crm; create table crm.contacts (id bigint primary key, name text not null, born date, tags jsonb)');
  });

  after(async () => {
    await stack?.stop();
    await source?.close();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  const httpBody = (secrets?: Record<string, string>) => ({
    workspaceId,
    name: 'crm api',
    connectorType: 'http-json',
    config: { baseUrl: source.url, auth: { type: 'bearer' }, pagination: { type: 'page' } },
    ...(secrets ? { secrets } : {}),
  });
  const pgBody = (port: number) => ({
    workspaceId,
    name: 'crm db',
    connectorType: 'postgres',
    config: { ...stack.database.connection, port, schema: 'crm' },
    secrets: { password: PG_PASSWORD },
  });

  test('create, get, list, update (secrets merged, never echoed) and delete', async () => {
    const created = await api('POST', '/api/v1/synchronisation/connected-systems', httpBody({ token: 'wrong-token-1234' }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    assert.deepEqual(created.body.secrets, { token: '********' });

    // Without a task there is no entity to try: the base URL answers, with the wrong token refused.
    const failing = await api('POST', `/api/v1/synchronisation/connected-systems/${id}/test`);
    assert.equal(failing.status, 200);
    assert.equal(failing.body.ok, false, failing.body.message);

    const updated = await api('PUT', `/api/v1/synchronisation/connected-systems/${id}`, { ...httpBody({ token: TOKEN }), name: 'crm api v2' });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.name, 'crm api v2');
    assert.deepEqual(updated.body.secrets, { token: '********' });
    // A PUT without secrets keeps the stored ones.
    const renamed = await api('PUT', `/api/v1/synchronisation/connected-systems/${id}`, { ...httpBody(), name: 'crm api v3' });
    assert.deepEqual(renamed.body.secrets, { token: '********' });

    const listed = await api('GET', `/api/v1/synchronisation/connected-systems?workspaceId=${workspaceId}`);
    assert.ok(listed.body.items.some((s: { id: number; name: string }) => s.id === id && s.name === 'crm api v3'));

    // The connector type cannot change.
    const retyped = await api('PUT', `/api/v1/synchronisation/connected-systems/${id}`, pgBody(5432));
    assert.equal(retyped.status, 422);
    assert.equal(retyped.body.errors[0].path, 'connectorType');

    assert.equal((await api('DELETE', `/api/v1/synchronisation/connected-systems/${id}`)).status, 204);
    assert.equal((await api('GET', `/api/v1/synchronisation/connected-systems/${id}`)).status, 404);
  });

  test('http-json: the test tries a task entity with the stored token; schema import samples it', async () => {
    const system = (await api('POST', '/api/v1/synchronisation/connected-systems', httpBody({ token: TOKEN }))).body;
    const noTask = await api('POST', `/api/v1/synchronisation/connected-systems/${system.id}/schema/import`);
    assert.equal(noTask.status, 422);
    assert.equal(noTask.body.errors[0].path, 'tasks');

    const destination = (await api('POST', '/api/v1/synchronisation/connected-systems', { ...pgBody(stack.database.connection.port), name: 'dest' })).body;
    const job = (await api('POST', `/api/v1/workspaces/${workspaceId}/jobs`, { name: 'j', sourceConnectionId: system.id, destinationConnectionId: destination.id })).body;
    await api('POST', `/api/v1/jobs/${job.id}/tasks`, { sourceEntity: '/records', targetEntity: 'records', resultsPosition: 'data.items' });

    const tested = await api('POST', `/api/v1/synchronisation/connected-systems/${system.id}/test`);
    assert.deepEqual(tested.body.ok, true, tested.body.message);
    assert.equal((await api('GET', `/api/v1/synchronisation/connected-systems/${system.id}/schema`)).status, 404);
    const imported = await api('POST', `/api/v1/synchronisation/connected-systems/${system.id}/schema/import`);
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    const [entity] = imported.body.entities;
    assert.equal(entity.name, '/records');
    assert.deepEqual(entity.fields.slice(0, 3), [
      { name: 'id', type: 'integer' },
      { name: 'name', type: 'string' },
      { name: 'email', type: 'string' },
    ]);
    assert.deepEqual((await api('GET', `/api/v1/synchronisation/connected-systems/${system.id}/schema`)).body, imported.body);

    // Used by a job: it cannot be deleted.
    const refused = await api('DELETE', `/api/v1/synchronisation/connected-systems/${system.id}`);
    assert.equal(refused.status, 409);
  });

  test('postgres: the test reports the server; a wrong port is not ok; schema import reads information_schema', async () => {
    const good = (await api('POST', '/api/v1/synchronisation/connected-systems', pgBody(stack.database.connection.port))).body;
    const tested = await api('POST', `/api/v1/synchronisation/connected-systems/${good.id}/test`);
    assert.equal(tested.body.ok, true, tested.body.message);
    const imported = await api('POST', `/api/v1/synchronisation/connected-systems/${good.id}/schema/import`);
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    const contacts = imported.body.entities.find((e: { name: string }) => e.name === 'contacts');
    assert.deepEqual(contacts.fields.map((f: { name: string }) => f.name), ['id', 'name', 'born', 'tags']);

    const bad = (await api('POST', '/api/v1/synchronisation/connected-systems', pgBody(9))).body;
    const badTest = await api('POST', `/api/v1/synchronisation/connected-systems/${bad.id}/test`);
    assert.equal(badTest.body.ok, false);
    assert.equal((await api('POST', `/api/v1/synchronisation/connected-systems/${bad.id}/schema/import`)).status, 422);
  });

  test('file: the test checks the directory; schema import reads csv headers and jsonl lines', async () => {
    const files = (await api('POST', '/api/v1/synchronisation/connected-systems', { workspaceId, name: 'drop', connectorType: 'file', config: { directory } })).body;
    assert.equal((await api('POST', `/api/v1/synchronisation/connected-systems/${files.id}/test`)).body.ok, true);
    const imported = await api('POST', `/api/v1/synchronisation/connected-systems/${files.id}/schema/import`);
    assert.equal(imported.status, 200, JSON.stringify(imported.body));
    const byName = Object.fromEntries(imported.body.entities.map((e: { name: string; fields: unknown }) => [e.name, e.fields]));
    assert.deepEqual(byName['people.csv'], [
      { name: 'id', type: 'string' },
      { name: 'name', type: 'string' },
      { name: 'email', type: 'string' },
    ]);
    assert.deepEqual(byName['orders.jsonl'], [
      { name: 'id', type: 'integer' },
      { name: 'total', type: 'number' },
      { name: 'paid', type: 'boolean' },
    ]);
    const missing = (await api('POST', '/api/v1/synchronisation/connected-systems', { workspaceId, name: 'gone', connectorType: 'file', config: { directory: path.join(directory, 'nope') } })).body;
    assert.equal((await api('POST', `/api/v1/synchronisation/connected-systems/${missing.id}/test`)).body.ok, false);
  });

  test('every route: unknown id 404, bad body 400/422 naming the field', async () => {
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['PUT', '', httpBody()],
      ['DELETE', '', undefined],
      ['POST', '/test', undefined],
      ['POST', '/schema/import', undefined],
      ['GET', '/schema', undefined],
      ['GET', '/run-profiles', undefined],
    ] as const) {
      const res = await api(method, `/api/v1/synchronisation/connected-systems/999999${suffix}`, body);
      assert.equal(res.status, 404, `${method} ${suffix}`);
      assert.equal(res.body.code, 'NOT_FOUND');
    }
    const cases: Array<[unknown, string]> = [
      [{ ...httpBody(), config: { baseUrl: 'ftp://x' } }, 'config.baseUrl'],
      [{ ...httpBody(), connectorType: 'ldap' }, 'connectorType'],
      [{ ...httpBody(), name: '' }, 'name'],
      [{ ...httpBody(), secrets: { tokn: 'x' } }, 'secrets'],
      [{ ...pgBody(5432), config: { ...pgBody(5432).config, port: 70000 } }, 'config.port'],
      [{ workspaceId, name: 'f', connectorType: 'file', config: {} }, 'config.directory'],
      [{ ...httpBody(), workspaceId: 999999 }, 'workspaceId'],
    ];
    for (const [body, field] of cases) {
      const res = await api('POST', '/api/v1/synchronisation/connected-systems', body);
      assert.ok(res.status === 400 || res.status === 422, `${field}: ${res.status}`);
      assert.ok(res.body.errors.some((e: { path: string }) => e.path === field || e.path.startsWith(`${field}.`)), `${field} not named in ${JSON.stringify(res.body)}`);
    }
  });

  test('no response of this suite ever held a secret', () => {
    assert.ok(responses.length > 30);
    for (const text of responses) {
      assert.ok(!text.includes(TOKEN) && !text.includes(PG_PASSWORD) && !text.includes('wrong-token-1234'), text);
    }
  });
});
