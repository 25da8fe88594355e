// Streaming generators of large CSV and JSONL files for the file connector's tests and
// measurements: rows are produced and written in batches, never held whole. Row i is a pure
// function of (i, seed), so a reader can check every value without keeping the file around.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

export const CSV_COLUMNS = ['id', 'name', 'email', 'city', 'amount', 'active', 'created_at', 'note', 'tags'] as const;

const CITIES = ['Amsterdam', 'Rotterdam', 'Utrecht', 'Den Haag', 'Eindhoven', "'s-Hertogenbosch", 'Zoetermeer', 'Groningen'];
const NAMES = ['Anna', 'Bram', 'Chloé', 'Daan', 'Emma', 'Finn', 'Jürgen', 'Lars', 'Mila', 'Noah', 'Søren', 'Tim'];
const TAGS = ['vip', 'new', 'trial', 'partner', 'internal'];

/** A small integer hash: the same (i, seed) always gives the same number in [0, 2^32). */
function hash(i: number, seed: number): number {
  let h = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(seed, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Row i (1-based) as the reader must return it: every value a string. Every 7th note holds a
 * comma, every 11th escaped quotes, every 13th a line break, every 19th city is empty; names and
 * some notes carry multi-byte UTF-8.
 */
export function csvRecord(i: number, seed = 1): Record<(typeof CSV_COLUMNS)[number], string> {
  const h = hash(i, seed);
  const name = NAMES[h % NAMES.length]!;
  let note = `note ${h % 1000}`;
  if (i % 7 === 0) note = `Hello, world ${i}`;
  if (i % 11 === 0) note = `She said "hi" to ${name}`;
  if (i % 13 === 0) note = `line one\nline two ☕ ${i}`;
  return {
    id: String(i),
    name: `${name} ${h % 9973}`,
    email: `user${i}@example.com`,
    city: i % 19 === 0 ? '' : CITIES[(h >>> 8) % CITIES.length]!,
    amount: ((h % 1_000_000) / 100).toFixed(2),
    active: h % 3 === 0 ? 'false' : 'true',
    created_at: new Date(Date.UTC(2024, 0, 1) + (h % 31_536_000) * 1000).toISOString(),
    note,
    tags: TAGS.filter((_, t) => (h >>> (t + 4)) & 1).join(';'),
  };
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export interface CsvFileOptions {
  /** Line breaks between records (default "\n"). */
  newline?: '\n' | '\r\n';
  /** Start with a UTF-8 byte order mark. */
  bom?: boolean;
}

async function writeStreamed(path: string, rows: number, line: (i: number) => string, first = ''): Promise<void> {
  const out = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  failed.catch(() => {});
  const BATCH = 1000;
  let chunk = first;
  for (let i = 1; i <= rows; i++) {
    chunk += line(i);
    if (i % BATCH === 0 || i === rows) {
      if (!out.write(chunk)) await Promise.race([once(out, 'drain'), failed]);
      chunk = '';
    }
  }
  if (chunk !== '') out.write(chunk);
  out.end();
  await Promise.race([once(out, 'close'), failed]);
}

/** Writes a CSV file of `rows` records (plus the header) with ~100 bytes per record. */
export async function writeCsvFile(path: string, rows: number, seed = 1, options: CsvFileOptions = {}): Promise<void> {
  const nl = options.newline ?? '\n';
  const header = `${options.bom ? '\uFEFF' : ''}${CSV_COLUMNS.join(',')}${nl}`;
  await writeStreamed(
    path,
    rows,
    (i) => {
      const record = csvRecord(i, seed);
      return CSV_COLUMNS.map((column) => csvField(record[column])).join(',') + nl;
    },
    header,
  );
}

/** Record i (1-based) of writeJsonlFile, with nested values and JSON types. */
export function jsonlRecord(i: number, seed = 1) {
  const h = hash(i, seed);
  return {
    id: i,
    name: `${NAMES[h % NAMES.length]!} "${h % 100}"`,
    amount: (h % 1_000_000) / 100,
    active: h % 3 !== 0,
    address: { city: CITIES[(h >>> 8) % CITIES.length]!, zip: String(1000 + (h % 9000)) },
    tags: TAGS.filter((_, t) => (h >>> (t + 4)) & 1),
    note: i % 13 === 0 ? `multi\nline ☕ ${i}` : null,
  };
}

/** Writes a JSON Lines file of `rows` objects. */
export async function writeJsonlFile(path: string, rows: number, seed = 1): Promise<void> {
  await writeStreamed(path, rows, (i) => `${JSON.stringify(jsonlRecord(i, seed))}\n`);
}
