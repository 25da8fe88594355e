// Checks a cron expression the way Temporal Schedules read it, so a bad one is refused when
// written, naming the part at fault: 5 fields (minute hour day-of-month month day-of-week), 6 (and
// year) or 7 (second first, and year), the @-shortcuts and `@every <duration>[/<offset>]`.

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const SECOND: CronField = { name: 'second', min: 0, max: 59 };
const YEAR: CronField = { name: 'year', min: 1970, max: 2999 };
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
  if (/^@every\b/i.test(text)) {
    return /^@every\s+\d+[smhd](\/\d+[smhd])?$/i.test(text) ? null : '@every takes a duration such as 30s, 5m, 2h or 1d (optionally /<offset>)';
  }
  if (text.startsWith('@')) return `unknown shortcut ${text}`;
  const parts = text.split(/\s+/);
  const fields = parts.length === 5 ? FIELDS : parts.length === 6 ? [...FIELDS, YEAR] : parts.length === 7 ? [SECOND, ...FIELDS, YEAR] : null;
  if (!fields) return `expected 5 fields (minute hour day-of-month month day-of-week), 6 (and year) or 7 (second first, and year), found ${parts.length}`;
  for (const [i, part] of parts.entries()) {
    const problem = fieldProblem(part, fields[i]!);
    if (problem) return `${fields[i]!.name} field "${part}": ${problem}`;
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
