// The plan PostgreSQL ran a query with (EXPLAIN ANALYZE), flattened: for tests that check a list's
// page is read through an index range rather than by walking or sorting other rows.
import type { Sql } from '../../db/client';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Cond'?: string;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

/** Every node of the plan of a drizzle query (its toSQL()), run once. */
export async function executedPlan(sql: Sql, query: { sql: string; params: unknown[] }): Promise<PlanNode[]> {
  const [row] = (await sql.unsafe(`explain (analyze, format json) ${query.sql}`, query.params as never[])) as unknown as [{ 'QUERY PLAN': [{ Plan: PlanNode }] }];
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode): void => {
    nodes.push(node);
    node.Plans?.forEach(walk);
  };
  walk(row['QUERY PLAN'][0].Plan);
  return nodes;
}

/** Why the plan does not read `table` by an index range on `column` alone (a row dropped by a filter, a sort), or undefined when it does. */
export function readsByIndexRange(nodes: PlanNode[], table: string, column: string): string | undefined {
  const text = JSON.stringify(nodes.map(({ Plans: _children, ...node }) => node));
  const scan = nodes.find((n) => n['Relation Name'] === table);
  if (!scan || scan['Node Type'] !== 'Index Scan') return `no index scan of ${table}: ${text}`;
  if (!new RegExp(`\\b${column}\\b`).test(scan['Index Cond'] ?? '')) return `${table} is not read by a range of ${column}: ${text}`;
  if ((scan['Rows Removed by Filter'] ?? 0) > 0) return `${scan['Rows Removed by Filter']} rows of ${table} read and dropped: ${text}`;
  if (nodes.some((n) => n['Node Type'] === 'Sort')) return `the rows are sorted: ${text}`;
  return undefined;
}
