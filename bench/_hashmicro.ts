import { generatedRecord } from './generated-source';
import { hashedJson, stableStringify } from '../activities/hashing';
import * as crypto from 'node:crypto';
const recs = Array.from({ length: 10000 }, (_, i) => JSON.parse(JSON.stringify(generatedRecord(i + 1, 1, null))));
function bench(name: string, f: () => void) {
  for (let i = 0; i < 5; i++) f();
  const t = performance.now(); for (let i = 0; i < 20; i++) f(); console.log(name, ((performance.now() - t) / 20).toFixed(1), 'ms/10k');
}
bench('stableStringify', () => { for (const r of recs) stableStringify(r); });
bench('hashedJson', () => { for (const r of recs) hashedJson(r); });
bench('JSON.stringify', () => { for (const r of recs) JSON.stringify(r); });
bench('JSON.stringify+hash', () => { for (const r of recs) crypto.hash('sha256', JSON.stringify(r), 'hex'); });
const body = JSON.stringify({ data: { items: recs } });
bench('JSON.parse page', () => { JSON.parse(body); });
