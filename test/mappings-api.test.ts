// Mapping routes: CRUD, the test endpoints over every rule kind, and their errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, startTestStack, type TestStack } from './helpers/stack';

describe('API: mappings', () => {
  let stack: TestStack;
  let workspaceId: number;

  before(async () => {
    stack = await startTestStack();
    workspaceId = (await call(stack.app, 'POST', '/api/v1/workspaces', { name: 'mappings' })).body.id;
  });

  after(async () => {
    await stack?.stop();
  });

  const input = {
    id: '42',
    first: 'Ada',
    last: 'Lovelace',
    born: '1815-12-10T08:00:00Z',
    active: 'yes',
    score: '9.5',
    address: { city: 'London', zip: 'W1' },
    tags: ['math', 'poetry'],
    items: [{ price: 2 }, { price: 3 }],
    secret: 'drop me',
    note: '',
  };

  // One rule of each kind: path copy (typed), nested and array paths, template, JSONata, each
  // cast, a chain with nullable, unset and passThrough.
  const everyRuleKind = {
    mapping: {
      id: 'id',
      city: 'address.city',
      firstTag: 'tags.1',
      fullName: '{{ first }} {{ last }}',
      total: '=$sum(items.price)',
      'contact.zip': 'address.zip',
      bornDate: 'born',
      bornAt: 'born',
      isActive: 'active',
      score: 'score',
      tagsJson: 'tags',
      note: 'note',
      label: 'score',
    },
    casts: { id: 'integer', score: 'float', isActive: 'boolean', bornDate: 'date', bornAt: 'datetime', tagsJson: 'json', note: 'nullable,string', label: 'float,string' },
    unset: ['secret', 'items'],
    passThrough: true,
  };

  const expectedOutput = {
    ...input,
    secret: undefined,
    items: undefined,
    id: 42,
    city: 'London',
    firstTag: 'poetry',
    fullName: 'Ada Lovelace',
    total: 5,
    contact: { zip: 'W1' },
    bornDate: '1815-12-10',
    bornAt: '1815-12-10T08:00:00.000Z',
    isActive: true,
    score: 9.5,
    tagsJson: '["math","poetry"]',
    note: null,
    label: '9.5',
  };
  delete (expectedOutput as Record<string, unknown>).secret;
  delete (expectedOutput as Record<string, unknown>).items;

  test('POST /mappings/test maps an unsaved mapping with every rule kind', async () => {
    const res = await call(stack.app, 'POST', '/api/v1/mappings/test', { mapping: everyRuleKind, input });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { output: expectedOutput, errors: [] });
  });

  test('CRUD, and POST /mappings/{id}/test with the saved mapping and its target schema', async () => {
    const created = await call(stack.app, 'POST', '/api/v1/mappings', { workspaceId, name: 'people', ...everyRuleKind });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.id;
    assert.equal((await call(stack.app, 'GET', `/api/v1/mappings/${id}`)).body.name, 'people');

    const tested = await call(stack.app, 'POST', `/api/v1/mappings/${id}/test`, { input });
    assert.deepEqual(tested.body, { output: expectedOutput, errors: [] });

    const updated = await call(stack.app, 'PUT', `/api/v1/mappings/${id}`, {
      workspaceId,
      name: 'people v2',
      mapping: { id: 'id', name: '{{ first }}', extra: 'last' },
      casts: { id: 'integer' },
      targetSchema: { type: 'object', required: ['id', 'email'], properties: { id: { type: 'integer' }, name: { type: 'string' } }, additionalProperties: false },
    });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    assert.equal(updated.body.name, 'people v2');
    const refused = await call(stack.app, 'POST', `/api/v1/mappings/${id}/test`, { input });
    assert.deepEqual(refused.body.output, { id: 42, name: 'Ada', extra: 'Lovelace' });
    assert.deepEqual(refused.body.errors.map((e: { message: string }) => e.message).sort(), ['required field email missing', 'schema does not allow field extra']);

    const listed = await call(stack.app, 'GET', `/api/v1/mappings?workspaceId=${workspaceId}`);
    assert.ok(listed.body.items.some((m: { id: number }) => m.id === id));

    assert.equal((await call(stack.app, 'DELETE', `/api/v1/mappings/${id}`)).status, 204);
    assert.equal((await call(stack.app, 'GET', `/api/v1/mappings/${id}`)).status, 404);
  });

  test('a JSONata expression that fails on the input is reported in errors, not as an HTTP error', async () => {
    const res = await call(stack.app, 'POST', '/api/v1/mappings/test', { mapping: { mapping: { n: '=$number(first)' } }, input });
    assert.equal(res.status, 200);
    assert.equal(res.body.output, null);
    assert.equal(res.body.errors[0].path, 'n');
  });

  test('a mapping used by a task cannot be deleted', async () => {
    const mapping = await call(stack.app, 'POST', '/api/v1/mappings', { workspaceId, name: 'used', mapping: { id: 'id' } });
    const source = await call(stack.app, 'POST', '/api/v1/synchronisation/connected-systems', {
      workspaceId, name: 'src', connectorType: 'http-json', config: { baseUrl: 'http://127.0.0.1:9/' },
    });
    const destination = await call(stack.app, 'POST', '/api/v1/synchronisation/connected-systems', {
      workspaceId, name: 'dst', connectorType: 'postgres', config: stack.database.connection,
    });
    const job = await call(stack.app, 'POST', `/api/v1/workspaces/${workspaceId}/jobs`, { name: 'j', sourceConnectionId: source.body.id, destinationConnectionId: destination.body.id });
    const task = await call(stack.app, 'POST', `/api/v1/jobs/${job.body.id}/tasks`, { sourceEntity: '/people', targetEntity: 'people', mappingId: mapping.body.id });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    const res = await call(stack.app, 'DELETE', `/api/v1/mappings/${mapping.body.id}`);
    assert.equal(res.status, 409);
    assert.match(res.body.detail, new RegExp(`task ${task.body.id}`));
  });

  test('unknown ids 404; bad bodies 400/422 naming the field', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/v1/mappings/999999', undefined],
      ['PUT', '/api/v1/mappings/999999', { workspaceId, name: 'x', mapping: {} }],
      ['DELETE', '/api/v1/mappings/999999', undefined],
      ['POST', '/api/v1/mappings/999999/test', { input: {} }],
    ] as const) {
      const res = await call(stack.app, method, path, body);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.code, 'NOT_FOUND');
    }
    const cases: Array<[string, unknown, string]> = [
      ['/api/v1/mappings', { workspaceId, name: 'x', mapping: { a: '{{ b' } }, 'mapping.a'],
      ['/api/v1/mappings', { workspaceId, name: 'x', mapping: { a: 'a' }, casts: { a: 'roman' } }, 'casts.a'],
      ['/api/v1/mappings', { workspaceId, name: 'x', mapping: {}, targetSchema: { type: 'nonsense' } }, 'targetSchema'],
      ['/api/v1/mappings', { workspaceId, name: '', mapping: {} }, 'name'],
      ['/api/v1/mappings', { workspaceId: 999999, name: 'x', mapping: {} }, 'workspaceId'],
      ['/api/v1/mappings/test', { mapping: { mapping: { a: '=$sum(' } }, input: {} }, 'mapping.a'],
      ['/api/v1/mappings/test', { mapping: { mapping: {} } }, 'input'],
    ];
    for (const [path, body, field] of cases) {
      const res = await call(stack.app, 'POST', path, body);
      assert.ok(res.status === 400 || res.status === 422, `${path} ${JSON.stringify(body)} → ${res.status}`);
      assert.ok(res.body.errors.some((e: { path: string }) => e.path === field), `${field} not named in ${JSON.stringify(res.body)}`);
    }
  });
});
