import { and, asc, eq } from 'drizzle-orm';
import type { EntityHint, ProbeTarget } from '../../../activities/connectors/probe';
import type { Db } from '../../../db/client';
import { connectedSystems, jobs, tasks } from '../../../db/schema';
import type { SecretBox } from '../../../db/secrets';

export function probeTarget(row: typeof connectedSystems.$inferSelect, secretBox: SecretBox): ProbeTarget {
  return { connectorType: row.connectorType, config: row.config, secrets: secretBox.decrypt(row.secretsCiphertext) };
}

/** The entities tasks read from this connected system: what an http-json schema import samples. */
export async function entityHints(db: Db, connectedSystemId: number): Promise<EntityHint[]> {
  const rows = await db
    .selectDistinctOn([tasks.sourceEntity], { entity: tasks.sourceEntity, resultsPosition: tasks.resultsPosition, idField: tasks.idField })
    .from(tasks)
    .innerJoin(jobs, eq(jobs.id, tasks.jobId))
    .where(and(eq(jobs.sourceConnectionId, connectedSystemId)))
    .orderBy(asc(tasks.sourceEntity));
  return rows.map((r) => ({ entity: r.entity, idField: r.idField, ...(r.resultsPosition ? { resultsPosition: r.resultsPosition } : {}) }));
}
