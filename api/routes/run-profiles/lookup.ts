import { and, eq } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { runProfiles } from '../../../db/schema';
import { invalidField, notFound } from '../../errors';

export async function findRunProfile(db: Db, connectedSystemId: number, runProfileId: number) {
  const [row] = await db
    .select()
    .from(runProfiles)
    .where(and(eq(runProfiles.id, runProfileId), eq(runProfiles.connectedSystemId, connectedSystemId)));
  if (!row) throw notFound('Run profile', runProfileId);
  return row;
}

/** A file path only means something for a file connected system. */
export function checkFilePath(connectorType: string, filePath: string | null | undefined) {
  if (filePath && connectorType !== 'file') throw invalidField('filePath', `only file connected systems take a filePath (this one is ${connectorType})`);
  if (filePath && (filePath.startsWith('/') || filePath.split(/[\\/]/).includes('..'))) {
    throw invalidField('filePath', 'must be a path inside the connected system directory');
  }
}
