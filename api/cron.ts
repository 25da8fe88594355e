// Checks a five-field cron expression (minute hour day-of-month month day-of-week) the way
// Temporal Schedules read it, so a bad one is refused when written, naming the part at fault.
// Also accepts the @-shortcuts Temporal understands.

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS: CronField[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

const SHORTCUTS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Null when the expression is valid, else what is wrong with it. */
export function cronProblem(expression: string): string | null {
  const text = expression.trim();
  if (SHORTCUTS.has(text.toLowerCase())) return null;
  if (/^@every\s+\d+(ms|s|m|h|d)(\d+(ms|s|m|h|d))*$/i.test(text)) return null;
  const parts = text.split(/\s+/);
  if (parts.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), found ${parts.length}`;
  for (const [i, part] of parts.entries()) {
    const problem = fieldProblem(part, FIELDS[i]!);
    if (problem) return `${FIELDS[i]!.name} field "${part}": ${problem}`;
  }
  return null;
}

function fieldProblem(part: string, field: CronField): string | null {
  for (const item of part.split(',')) {
    const [range, step, extra] = item.split('/');
    if (extra !== undefined) return 'more than one "/"';
    if (step !== undefined && !/^[1-9][0-9]*$/.test(step)) return `step "${step}" is not a positive integer`;
    if (range === '*' || (range === '?' && (field.name === 'day of month' || field.name === 'day of week'))) continue;
    const bounds = (range ?? '').split('-');
    if (bounds.length > 2) return `"${range}" is not a value or a range`;
    const values: number[] = [];
    for (const bound of bounds) {
      const value = valueOf(bound, field);
      if (value === null) return `"${bound}" is not a number${field.names ? ' or a name' : ''}`;
      if (value < field.min || value > field.max) return `${value} is outside ${field.min}-${field.max}`;
      values.push(value);
    }
    if (values.length === 2 && values[0]! > values[1]!) return `range ${range} runs backwards`;
  }
  return null;
}

function valueOf(token: string, field: CronField): number | null {
  if (/^[0-9]+$/.test(token)) return Number(token);
  const index = field.names?.indexOf(token.toLowerCase()) ?? -1;
  if (index < 0) return null;
  return field.name === 'month' ? index + 1 : index;
}
