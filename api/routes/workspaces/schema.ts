import { z } from '@hono/zod-openapi';
import type { workspaces } from '../../../db/schema';

export const WorkspaceBody = z.object({ name: z.string().trim().min(1).max(200) }).strict();

export const WorkspaceSchema = z
  .object({ id: z.number().int(), name: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .openapi('Workspace');

export function workspaceView(row: typeof workspaces.$inferSelect): z.infer<typeof WorkspaceSchema> {
  return { id: row.id, name: row.name, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}
