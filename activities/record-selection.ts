// A task's query SELECT list and WHERE clause applied to source records, after import: the
// connector space keeps whole records (other tasks may read the same entity), and each task
// picks its records and fields when it maps them.
import type { TaskFilter } from '../db/schema';
import type { JsonObject, JsonValue } from './connectors/types';

/** The record the task works on, or undefined when its filter leaves the record out. */
export type RecordSelection = (record: JsonObject) => JsonObject | undefined;

export function compileRecordSelection(columns: string[] | null, filter: TaskFilter | null, idField: string): RecordSelection | undefined {
  if (columns === null && filter === null) return undefined;
  const matches = filter === null ? () => true : compileFilter(filter);
  // The id always stays: contracts and destination rows are keyed on it.
  const kept = columns === null ? null : [...new Set([idField.split('.')[0]!, ...columns])];
  return (record) => {
    if (!matches(record)) return undefined;
    if (kept === null) return record;
    const projected: JsonObject = {};
    for (const field of kept) if (field in record) projected[field] = record[field]!;
    return projected;
  };
}

/**
 * SQL-like comparison of one top-level field with a literal: a missing, null or nested value
 * never matches. A number literal compares numerically (numeric strings included); a string
 * literal compares numerically with a number field when it reads as one, else as text (so ISO
 * dates compare in time order).
 */
function compileFilter({ field, op, value }: TaskFilter): (record: JsonObject) => boolean {
  const accept = (order: number) => {
    switch (op) {
      case '=':
        return order === 0;
      case '!=':
      case '<>':
        return order !== 0;
      case '>':
        return order > 0;
      case '>=':
        return order >= 0;
      case '<':
        return order < 0;
      case '<=':
        return order <= 0;
    }
  };
  return (record) => {
    const order = compare(record[field], value);
    return order !== undefined && accept(order);
  };
}

function compare(actual: JsonValue | undefined, literal: string | number): number | undefined {
  if (actual === undefined || actual === null || typeof actual === 'object') return undefined;
  const literalNumber = typeof literal === 'number' ? literal : literal.trim() === '' ? NaN : Number(literal);
  if (typeof literal === 'number' || typeof actual === 'number') {
    const actualNumber = typeof actual === 'number' ? actual : typeof actual === 'string' && actual.trim() !== '' ? Number(actual) : NaN;
    if (Number.isNaN(actualNumber) || Number.isNaN(literalNumber)) return typeof literal === 'number' ? undefined : textOrder(String(actual), literal);
    return Math.sign(actualNumber - literalNumber);
  }
  return textOrder(String(actual), literal);
}

const textOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
