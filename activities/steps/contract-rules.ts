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
