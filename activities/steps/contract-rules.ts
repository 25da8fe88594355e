// What a contract says about a staged object: whether the target already holds it (settled), and
// otherwise what the object needs there. The import and the diff decide with the same rules.
import type { Fragment, Sql, Tx } from '../../db/client';
import type { TaskContext } from '../task-context';

/**
 * A contract (alias k) whose last export came from exactly this origin hash, made (or confirmed
 * by a diff) after the task, job and mapping last changed: the target holds what the object maps to.
 */
export function settledContract(sql: Sql | Tx, ctx: TaskContext, originHash: Fragment): Fragment {
  return sql`k.synced_origin_hash = ${originHash} and k.origin_hash = ${originHash} and k.target_hash is not null
    and k.last_synced_at > ${ctx.configuredAt.toISOString()}::timestamptz`;
}

/**
 * What a mapped object with `targetHash` needs on the target, by its contract (a lookup per
 * object on the contracts' unique key): 'create' without a contract or target row, 'update' when
 * the target holds another hash, else 'unchanged'.
 */
export function actionByContract(sql: Sql | Tx, taskId: Fragment, originId: Fragment, targetHash: Fragment): Fragment {
  return sql`coalesce((
    select case when c.target_id is null then 'create' when c.target_hash is distinct from ${targetHash} then 'update' else 'unchanged' end
    from contracts c where c.task_id = ${taskId} and c.origin_id = ${originId}), 'create')`;
}

/**
 * The conflict clause of a contract upsert that records a destination write: a row whose
 * target_id is null (refused by the destination) keeps what its contract said the target held.
 */
export function contractRecordingWrite(sql: Sql | Tx): Fragment {
  return sql`on conflict (task_id, origin_id) do update
    set register_object_id = excluded.register_object_id, origin_hash = excluded.origin_hash,
        last_seen_at = excluded.last_seen_at, last_run_id = excluded.last_run_id,
        target_id = coalesce(excluded.target_id, contracts.target_id),
        target_hash = case when excluded.target_id is null then contracts.target_hash else excluded.target_hash end,
        synced_origin_hash = case when excluded.target_id is null then contracts.synced_origin_hash else excluded.synced_origin_hash end,
        last_synced_at = coalesce(excluded.last_synced_at, contracts.last_synced_at),
        last_action = case when excluded.target_id is null then contracts.last_action
                           when contracts.target_id is null then 'create' else 'update' end,
        updated_at = now()`;
}

/** The conflict clause of a contract upsert for a change queued for export: the target columns wait for it. */
export function contractAwaitingExport(sql: Sql | Tx): Fragment {
  return sql`on conflict (task_id, origin_id) do update
    set register_object_id = excluded.register_object_id, origin_hash = excluded.origin_hash,
        last_seen_at = excluded.last_seen_at, last_run_id = excluded.last_run_id, updated_at = now()
    where contracts.origin_hash is distinct from excluded.origin_hash
       or contracts.register_object_id is distinct from excluded.register_object_id`;
}
