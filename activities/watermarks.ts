// Where the last successful delta import (a source watermark) and delta synchronisation (a
// connector-space change sequence) got to, per connected system and entity.
import type { Sql } from '../db/client';
import type { UnitStart } from '../workflows/contracts';
import type { TaskContext } from './task-context';

export type WatermarkKind = 'import' | 'sync';

const kindKey = (ctx: TaskContext, kind: WatermarkKind) => (kind === 'import' ? 'import' : `sync:${ctx.taskId}`);

export async function readUnitStart(sql: Sql, ctx: TaskContext): Promise<UnitStart> {
  const rows = await sql<{ kind: string; value: string }[]>`
    select kind, value from watermarks where connected_system_id = ${ctx.source.id} and entity = ${ctx.spaceEntity}`;
  const of = (kind: WatermarkKind) => rows.find((w) => w.kind === kindKey(ctx, kind))?.value ?? null;
  return { since: of('import'), syncAfterSeq: Number(of('sync') ?? 0) };
}

/** Called only after every page of the unit succeeded, so a failed page keeps the old watermark. */
export async function writeWatermark(sql: Sql, ctx: TaskContext, runId: string, kind: WatermarkKind, value: string): Promise<void> {
  await sql`
    insert into watermarks (connected_system_id, entity, kind, value, run_id)
    values (${ctx.source.id}, ${ctx.spaceEntity}, ${kindKey(ctx, kind)}, ${value}, ${runId}::uuid)
    on conflict (connected_system_id, entity, kind) do update set value = excluded.value, run_id = excluded.run_id, updated_at = now()`;
}
