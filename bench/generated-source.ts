// A real HTTP JSON API for benchmarks that generates its records on request: record `id` is a
// pure function of (id, seed), so N records are the same on every run, and a page can be served
// from anywhere in the range. With `changeSeed` set, 1% of the records (those whose id hashes to
// 0 mod 100) come back changed, as if edited at the source. `render` builds the pages' bodies
// before a run starts: a real source's work is done on another machine, and here its server
// shares the two cores with what is measured.
//   GET /records?page=&pageSize=   { data: { items }, total }
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const CITIES = ['Amsterdam', 'Rotterdam', 'Utrecht', 'Eindhoven', 'Groningen', 'Tilburg', 'Almere', 'Breda'];
const FIRST = ['Anna', 'Bram', 'Chloe', 'Daan', 'Emma', 'Finn', 'Julia', 'Lars', 'Mila', 'Noah', 'Sara', 'Tim'];
const LAST = ['de Jong', 'Jansen', 'de Vries', 'van Dijk', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Mulder'];
const TAGS = ['vip', 'new', 'churned', 'trial', 'partner', 'internal'];
const BASE = Date.UTC(2023, 0, 1);

/** Integer hash of (id, seed): a cheap, well-mixed source of per-record randomness. */
function mix(id: number, seed: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(seed, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** 1% of ids: those a change seed edits. */
export const isChanged = (id: number) => mix(id, 7) % 100 === 0;

export interface GeneratedRecord {
  id: number;
  name: string;
  email: string;
  active: boolean;
  score: number;
  createdAt: string;
  updatedAt: string;
  address: { city: string; zip: string };
  tags: string[];
  version: number;
}

export function generatedRecord(id: number, seed: number, changeSeed: number | null): GeneratedRecord {
  const r = (k: number) => mix(id, seed * 31 + k);
  const first = FIRST[r(1) % FIRST.length]!;
  const last = LAST[r(2) % LAST.length]!;
  const createdAt = BASE + (r(3) % (365 * 86_400)) * 1000;
  const changed = changeSeed !== null && isChanged(id);
  return {
    id,
    name: changed ? `${first} ${last}-${changeSeed}` : `${first} ${last}`,
    email: `${first.toLowerCase()}.${id}@example.org`,
    active: r(4) % 10 < 7,
    score: (r(5) % 10_000_000) / 100,
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(createdAt + (r(6) % (30 * 86_400)) * 1000 + (changed ? changeSeed! * 1000 : 0)).toISOString(),
    address: { city: CITIES[r(7) % CITIES.length]!, zip: `${1000 + (r(8) % 9000)} ${String.fromCharCode(65 + (r(9) % 26))}${String.fromCharCode(65 + (r(10) % 26))}` },
    tags: TAGS.filter((_, i) => r(11 + i) % 4 === 0),
    version: changed ? 2 : 1,
  };
}

/** What a correct destination holds for the records, as the bench's checksum query spells it. */
export function expectedChecksum(n: number, seed: number, changeSeed: number | null): string {
  const md5 = createHash('md5');
  for (let id = 1; id <= n; id++) {
    const rec = generatedRecord(id, seed, changeSeed);
    md5.update(`${id === 1 ? '' : ','}${id}|${rec.name}|${rec.email}|${rec.address.city}`);
  }
  return md5.digest('hex');
}

export interface GeneratedSource {
  url: string;
  requestCount: number;
  /** null: the original records; a number: 1% of them changed under that seed. */
  changeSeed: number | null;
  /**
   * Renders every page of this size under the current change seed, then answers requests for
   * them with the rendered bodies (the same bytes it would generate) until the seed changes.
   */
  render(pageSize: number): void;
  close(): Promise<void>;
}

/**
 * @param opts.latencyMs how much later each page is answered than it is ready, as a remote API's
 *   round trip would make it (the page is generated at once: the delay costs no CPU)
 */
export async function startGeneratedSource(opts: { records: number; seed?: number; latencyMs?: number }): Promise<GeneratedSource> {
  const seed = opts.seed ?? 1;
  /** A page's body under the current change seed. */
  const pageBody = (page: number, pageSize: number): Buffer => {
    const items: GeneratedRecord[] = [];
    for (let id = (page - 1) * pageSize + 1; id <= Math.min(page * pageSize, opts.records); id++) items.push(generatedRecord(id, seed, state.changeSeed));
    return Buffer.from(JSON.stringify({ data: { items }, total: opts.records }));
  };
  let rendered: { pageSize: number; changeSeed: number | null; bodies: Buffer[] } | undefined;
  /** The rendered bodies, if they are those of this page size under the current change seed. */
  const renderedFor = (pageSize: number) => (rendered?.pageSize === pageSize && rendered.changeSeed === state.changeSeed ? rendered.bodies : undefined);
  const state: GeneratedSource = {
    url: '',
    requestCount: 0,
    changeSeed: null,
    render(pageSize) {
      if (renderedFor(pageSize)) return;
      // The old bodies go before the new ones are made: both at once would double the memory.
      rendered = undefined;
      const bodies: Buffer[] = [];
      for (let page = 1; (page - 1) * pageSize < opts.records; page++) bodies.push(pageBody(page, pageSize));
      rendered = { pageSize, changeSeed: state.changeSeed, bodies };
    },
    close: () => Promise.resolve(),
  };
  const server = createServer((req, res) => {
    state.requestCount++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/records') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const page = Number(url.searchParams.get('page') ?? '1');
    const pageSize = Number(url.searchParams.get('pageSize') ?? '100');
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 50_000) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad page or pageSize"}');
      return;
    }
    const body = renderedFor(pageSize)?.[page - 1] ?? pageBody(page, pageSize);
    const answer = () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
    if (opts.latencyMs) setTimeout(answer, opts.latencyMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}
