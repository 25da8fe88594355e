// Loads of configuration objects by id, answering 404 for an unknown id in the path and 422
// naming the field for an unknown id in a body.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client';
import { connectedSystems, jobs, mappings, tasks, workspaces } from '../db/schema';
import { invalidField, notFound } from './errors';

export async function requireWorkspace(db: Db, id: number, field: string) {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id));
  if (!row) throw invalidField(field, `workspace ${id} does not exist`);
  return row;
}

export async function findWorkspace(db: Db, id: number) {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id));
  if (!row) throw notFound('Workspace', id);
  return row;
}

export async function findConnectedSystem(db: Db, id: number) {
  const [row] = await db.select().from(connectedSystems).where(eq(connectedSystems.id, id));
  if (!row) throw notFound('Connected system', id);
  return row;
}

export async function findJob(db: Db, id: number) {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  if (!row) throw notFound('Job', id);
  return row;
}

export async function findMapping(db: Db, id: number) {
  const [row] = await db.select().from(mappings).where(eq(mappings.id, id));
  if (!row) throw notFound('Mapping', id);
  return row;
}

/** A task of the job: 404 for an unknown job or a task of another job. */
export async function findTask(db: Db, jobId: number, taskId: number) {
  await findJob(db, jobId);
  const [row] = await db.select().from(tasks).where(and(eq(tasks.id, taskId), eq(tasks.jobId, jobId)));
  if (!row) throw notFound('Task', taskId);
  return row;
}
