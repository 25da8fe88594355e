// A real HTTP server standing in for an upstream JSON API, one route per pagination style, with
// knobs for failures, latency and auth. Used by tests and benchmarks. Routes:
//   /records?page=&pageSize=        { data: { items }, total }
//   /records-offset?offset=&limit=  { results, meta: { total } }
//   /records-next?pageSize=&after=  { items, next: relative link | null, cursor: last id | null }
//   /records-link?page=&pageSize=   bare array, Link rel="next" and X-Total-Count headers
//   /records-root?page=&pageSize=   bare array
//   /redirect?to=<path>             302 to <path>;  /not-json  200 with an HTML body
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JsonObject } from '../../activities/connectors/types';

export interface SourceServer {
  url: string;
  /** Every request, failed ones included. */
  requestCount: number;
  /** Path and query of each request, in order. */
  requests: string[];
  records: JsonObject[];
  setRecords(records: JsonObject[]): void;
  /** The next `times` requests (default 1) answer `status`, with `headers` (e.g. Retry-After). */
  failNext(status: number, times?: number, headers?: Record<string, string>): void;
  /** Every request this matches answers `status` until set back to null (e.g. always fail page 2). */
  failMatching: { match: (url: URL) => boolean; status: number } | null;
  /** Delay before each response; may be changed while the server runs. */
  delayMs: number;
  close(): Promise<void>;
}

export interface SourceServerOptions {
  records?: JsonObject[];
  delayMs?: number;
  /** When set, every request needs `Authorization: Bearer <requireToken>` (else 401). */
  requireToken?: string;
  /** Caps page sizes and limits like many real APIs do (default: no cap). */
  maxPageSize?: number;
  /** How a page's body is written (default JSON.stringify): spread over lines, say, or in bytes that are not UTF-8. */
  render?: (body: unknown) => string | Buffer;
}

const CITIES = ['Amsterdam', 'Rotterdam', 'Utrecht', 'Eindhoven', 'Groningen', 'Tilburg', 'Almere', 'Breda'];
const FIRST_NAMES = ['Anna', 'Bram', 'Chloe', 'Daan', 'Emma', 'Finn', 'Julia', 'Lars', 'Mila', 'Noah', 'Sara', 'Tim'];
const LAST_NAMES = ['de Jong', 'Jansen', 'de Vries', 'van Dijk', 'Bakker', 'Visser', 'Smit', 'Meijer', 'Mulder'];
const TAGS = ['vip', 'new', 'churned', 'trial', 'partner', 'internal'];

/** Deterministic records with ids 1..n; the same (n, seed) always gives the same records. */
export function generateRecords(n: number, seed = 1): JsonObject[] {
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const base = Date.UTC(2023, 0, 1);
  const records: JsonObject[] = [];
  for (let id = 1; id <= n; id++) {
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const createdAt = base + Math.floor(random() * 365 * 86_400_000);
    const tags = TAGS.filter(() => random() < 0.25);
    records.push({
      id,
      name: `${first} ${last}`,
      email: `${first.toLowerCase()}.${id}@example.org`,
      active: random() < 0.7,
      score: Math.round(random() * 100_000) / 100,
      createdAt: new Date(createdAt).toISOString(),
      updatedAt: new Date(createdAt + Math.floor(random() * 30 * 86_400_000)).toISOString(),
      address: { city: pick(CITIES), zip: `${1000 + Math.floor(random() * 9000)} ${String.fromCharCode(65 + Math.floor(random() * 26))}${String.fromCharCode(65 + Math.floor(random() * 26))}` },
      tags,
    });
  }
  return records;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function startSourceServer(opts: SourceServerOptions = {}): Promise<SourceServer> {
  let records = opts.records ?? generateRecords(100);
  // Position of each id, for the keyset route (`after=<id>`) on large data sets.
  let positionById = new Map<string, number>();
  const indexRecords = () => {
    positionById = new Map(records.map((record, index) => [String(record.id), index]));
  };
  indexRecords();
  const failures: Array<{ status: number; headers: Record<string, string> }> = [];

  const state: SourceServer = {
    url: '',
    requestCount: 0,
    requests: [],
    get records() {
      return records;
    },
    set records(value: JsonObject[]) {
      records = value;
      indexRecords();
    },
    setRecords(value) {
      records = value;
      indexRecords();
    },
    failNext(status, times = 1, headers = {}) {
      for (let i = 0; i < times; i++) failures.push({ status, headers });
    },
    failMatching: null,
    delayMs: opts.delayMs ?? 0,
    close: () => Promise.resolve(),
  };

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : status === 200 && opts.render ? opts.render(body) : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', state.url);
    const failure = failures.shift();
    if (failure) return send(res, failure.status, { error: `injected ${failure.status}` }, failure.headers);
    if (state.failMatching?.match(url)) return send(res, state.failMatching.status, { error: `injected ${state.failMatching.status}` });
    if (opts.requireToken !== undefined && req.headers.authorization !== `Bearer ${opts.requireToken}`) {
      return send(res, 401, { error: 'missing or wrong bearer token' });
    }
    if (req.method !== 'GET') return send(res, 405, { error: 'only GET' });

    const integer = (name: string, fallback: number): number | null => {
      const raw = url.searchParams.get(name);
      if (raw === null) return fallback;
      const value = Number(raw);
      return Number.isSafeInteger(value) && value >= 0 ? value : null;
    };
    const capped = (size: number | null) => (size === null ? null : Math.min(size, opts.maxPageSize ?? size));
    const total = records.length;

    switch (url.pathname) {
      case '/records':
      case '/records-link':
      case '/records-root': {
        const page = integer('page', 1);
        const pageSize = capped(integer('pageSize', 100));
        if (page === null || page < 1 || pageSize === null || pageSize < 1) return send(res, 400, { error: 'bad page or pageSize' });
        const items = records.slice((page - 1) * pageSize, page * pageSize);
        if (url.pathname === '/records') return send(res, 200, { data: { items }, total });
        if (url.pathname === '/records-root') return send(res, 200, items);
        const headers: Record<string, string> = { 'X-Total-Count': String(total) };
        if (page * pageSize < total) {
          const next = new URL(url);
          next.searchParams.set('page', String(page + 1));
          headers.Link = `<${next.toString()}>; rel="next", <${state.url}/records-link?page=1&pageSize=${pageSize}>; rel="first"`;
        }
        return send(res, 200, items, headers);
      }
      case '/records-offset': {
        const offset = integer('offset', 0);
        const limit = capped(integer('limit', 100));
        if (offset === null || limit === null || limit < 1) return send(res, 400, { error: 'bad offset or limit' });
        return send(res, 200, { results: records.slice(offset, offset + limit), meta: { total } });
      }
      case '/records-next': {
        // Keyset pagination: `next` is a relative link, `cursor` the bare id for cursor-style clients.
        const pageSize = capped(integer('pageSize', 100));
        if (pageSize === null || pageSize < 1) return send(res, 400, { error: 'bad pageSize' });
        const after = url.searchParams.get('after');
        let start = 0;
        if (after !== null) {
          const position = positionById.get(after);
          if (position === undefined) return send(res, 400, { error: `unknown cursor ${after}` });
          start = position + 1;
        }
        const items = records.slice(start, start + pageSize);
        const lastId = start + pageSize < total && items.length > 0 ? String(items[items.length - 1]!.id) : null;
        const next = lastId === null ? null : `/records-next?pageSize=${pageSize}&after=${encodeURIComponent(lastId)}`;
        return send(res, 200, { items, next, cursor: lastId });
      }
      case '/redirect': // 302 to the path in `to`, for redirect handling
        res.writeHead(302, { Location: url.searchParams.get('to') ?? '/' });
        return res.end();
      case '/not-json':
        return send(res, 200, '<html>maintenance</html>', { 'Content-Type': 'text/html' });
      default:
        return send(res, 404, { error: `no route ${url.pathname}` });
    }
  };

  const server = createServer((req, res) => {
    state.requestCount++;
    state.requests.push(req.url ?? '/');
    const respond = () => {
      try {
        handle(req, res);
      } catch (err) {
        send(res, 500, { error: String(err) });
      }
    };
    if (state.delayMs > 0) {
      const timer = setTimeout(respond, state.delayMs);
      // A client that gave up (aborted) needs no answer; do not keep the process alive for it.
      res.once('close', () => clearTimeout(timer));
    } else {
      respond();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    });
  return state;
}
