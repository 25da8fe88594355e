// Configuration many tests share: a workspace, an http-json source on the local source server, a
// postgres destination in the test database, a mapping, and a job with one task.
import assert from 'node:assert/strict';
import type { Router } from '../../api/app';
import type { TestDatabase } from './database';
import { call } from './stack';

export interface HttpToPostgresJob {
  workspaceId: number;
  jobId: number;
  taskId: number;
  /** Destination table, schema-qualified. */
  table: string;
}

export async function createHttpToPostgresJob(
  app: Router,
  opts: { sourceUrl: string; database: TestDatabase; batchSize: number; schema?: string; table?: string },
): Promise<HttpToPostgresJob> {
  const schema = opts.schema ?? 'warehouse';
  const table = opts.table ?? 'accounts';
  const created = async (path: string, body: unknown) => {
    const res = await call(app, 'POST', path, body);
    assert.equal(res.status, 201, `${path}: ${JSON.stringify(res.body)}`);
    return res.body.id as number;
  };
  const workspaceId = await created('/api/v1/workspaces', { name: 'test workspace' });
  const sourceConnectionId = await created('/api/v1/synchronisation/connected-systems', {
    workspaceId,
    name: 'records api',
    connectorType: 'http-json',
    config: { baseUrl: opts.sourceUrl, pagination: { type: 'page', pageParam: 'page', sizeParam: 'pageSize' }, totalPath: 'total' },
  });
  const destinationConnectionId = await created('/api/v1/synchronisation/connected-systems', {
    workspaceId,
    name: 'warehouse',
    connectorType: 'postgres',
    config: { ...opts.database.connection, schema },
  });
  const mappingId = await created('/api/v1/mappings', {
    workspaceId,
    name: 'accounts',
    mapping: { id: 'id', name: 'name', email: 'email', active: 'active', score: 'score', city: 'address.city', tags: 'tags', label: '{{ name }} <{{ email }}>' },
  });
  const jobId = await created(`/api/v1/workspaces/${workspaceId}/jobs`, {
    name: 'accounts sync',
    sourceConnectionId,
    destinationConnectionId,
    batchSize: opts.batchSize,
  });
  const taskId = await created(`/api/v1/jobs/${jobId}/tasks`, {
    sourceEntity: '/records',
    targetEntity: table,
    resultsPosition: 'data.items',
    mappingId,
  });
  return { workspaceId, jobId, taskId, table: `${schema}.${table}` };
}
