// `npm run bench:mapping [-- --records N]`: how many records a compiled simple mapping maps per
// second on one core (the engine maps in the worker's single JavaScript thread). Prints the figure
// and saves it under bench/results/; fails loudly below 1,000,000 records/s.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { JsonObject } from '../activities/connectors/types';
import { compileMapping } from '../activities/mapping';

const TARGET_PER_SECOND = 1_000_000;

function main(): void {
  const { values } = parseArgs({ options: { records: { type: 'string', default: '5000000' } } });
  const total = Number(values.records);
  // A simple mapping: path copies (top level, nested, array index), a rename and a template.
  const map = compileMapping({
    mapping: { id: 'id', fullName: 'name', mail: 'email', city: 'address.city', firstTag: 'tags.0', label: '{{ name }} <{{ email }}>' },
  });
  if (map.async) throw new Error('a simple mapping must compile to a synchronous function');
  const distinct = 10_000;
  const records: JsonObject[] = Array.from({ length: distinct }, (_, i) => ({
    id: i,
    name: `Person ${i}`,
    email: `person${i}@example.org`,
    active: i % 2 === 0,
    score: i / 7,
    address: { city: `City ${i % 100}`, zip: String(10000 + i) },
    tags: ['a', 'b'],
  }));

  // Warm up so the figure is the optimised code's, as in a long run.
  let checksum = 0;
  for (let i = 0; i < 200_000; i++) checksum += ((map(records[i % distinct]!) as JsonObject).label as string).length;

  const started = process.hrtime.bigint();
  for (let i = 0; i < total; i++) checksum += ((map(records[i % distinct]!) as JsonObject).label as string).length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const perSecond = Math.round(total / seconds);

  const result = {
    scenario: 'mapping',
    records: total,
    seconds: Math.round(seconds * 1000) / 1000,
    recordsPerSecond: perSecond,
    checksum,
    node: process.version,
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    date: new Date().toISOString(),
  };
  const dir = path.join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `mapping-${result.date.slice(0, 19).replaceAll(':', '-')}.json`), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`mapping: ${total.toLocaleString('en')} records in ${result.seconds} s = ${perSecond.toLocaleString('en')} records/s on one core`);
  if (perSecond < TARGET_PER_SECOND) {
    console.error(`below the target of ${TARGET_PER_SECOND.toLocaleString('en')} records/s`);
    process.exit(1);
  }
}

main();
