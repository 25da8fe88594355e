import { and, eq } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { connectedSystems } from '../../../db/schema';
import { invalidField } from '../../errors';

/** Connector types the job engine can read from and write to today. */
const SOURCE_TYPES = new Set(['http-json', 'postgres', 'file']);
const DESTINATION_TYPES = new Set(['postgres', 'file']);

export async function checkJobConnections(db: Db, workspaceId: number, body: { sourceConnectionId: number; destinationConnectionId: number }) {
  const load = async (id: number, field: string, allowed: Set<string>, role: string) => {
    const [row] = await db
      .select()
      .from(connectedSystems)
      .where(and(eq(connectedSystems.id, id), eq(connectedSystems.workspaceId, workspaceId)));
    if (!row) throw invalidField(field, `connected system ${id} does not exist in workspace ${workspaceId}`);
    if (!allowed.has(row.connectorType)) {
      throw invalidField(field, `a ${row.connectorType} connection cannot be a job ${role} (supported: ${[...allowed].join(', ')})`);
    }
  };
  await load(body.sourceConnectionId, 'sourceConnectionId', SOURCE_TYPES, 'source');
  await load(body.destinationConnectionId, 'destinationConnectionId', DESTINATION_TYPES, 'destination');
}
