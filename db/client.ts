import net from 'node:net';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema';

export type Sql = postgres.Sql;
/** The connection inside sql.begin(). */
export type Tx = postgres.TransactionSql;
/** A piece of SQL built with `sql` tagged templates, to embed in another statement. */
export type Fragment = postgres.PendingQuery<postgres.Row[]>;
export type Db = PostgresJsDatabase<typeof schema>;

export interface Database {
  db: Db;
  sql: Sql;
  close(): Promise<void>;
}

/**
 * Session settings of every connection Syncline opens. JIT compilation is off: a page's bulk
 * statements cross PostgreSQL's JIT threshold, and compiling them cost more than it saved (one
 * register-and-contracts statement of a 10,000-object page spent 480 of its 837 ms compiling).
 */
export const SESSION_SETTINGS = { jit: 'off' };

/** What postgres.js tells a socket factory of where to connect (its parsed options). */
interface SocketTarget {
  host: string[];
  port: number[];
  path: string | false;
}

/**
 * TCP connections with Nagle's algorithm off, which postgres.js leaves on. A COPY's data and its
 * end, or a statement described before it runs, leave as two small writes in a row, and the second
 * then waited for the server's delayed acknowledgement, 40 ms on Linux: a transaction of a 100-row
 * COPY and an insert took 88 ms on loopback, 3 ms without the wait, and a delta page's
 * connector-space merge 100–200 ms. Hosts are taken in turn, as postgres.js does with its own
 * sockets; a Unix socket path is used as given.
 */
function noDelaySockets(): (target: SocketTarget) => net.Socket {
  let next = 0;
  return ({ host, port, path }) => {
    if (path) return net.connect({ path });
    const i = next++ % host.length;
    const target = { host: host[i]!, port: port[i] ?? port[0]! };
    // postgres.js reads these off its own sockets: the TLS upgrade names the server by
    // `socket.host` (SNI, and the certificate's host check), so they are set here the same way.
    return Object.assign(net.connect({ ...target, noDelay: true }), target);
  };
}

export type PoolOptions = postgres.Options<Record<string, postgres.PostgresType>>;

/**
 * postgres.js makes, at the first query of each tagged-template call site, an Error that it keeps
 * for the process's life (to add the call site to a failed query's stack), and V8 keeps an Error's
 * unformatted stack frames alive, closures and all. So the first call of every call site kept what
 * its callers' closures held: in a worker, the first page of its first run (its records, mapped
 * objects and rows: a heap snapshot found page 0's 10,000 objects still held at page 16). Reading
 * the query's `origin` formats that stack once per call site (postgres.js then keeps the text),
 * which lets V8 drop the frames. Done as a query starts, on the one prototype all queries share.
 */
const originsFormatted = new WeakSet<object>();

function formatQueryOriginsAsTheyRun(sql: Sql): void {
  // Never run: a postgres.js query runs when it is awaited.
  const proto = Object.getPrototypeOf(sql`select 1`) as { then: (...args: unknown[]) => unknown };
  if (originsFormatted.has(proto) || !('origin' in proto)) return;
  originsFormatted.add(proto);
  const then = proto.then;
  proto.then = function (this: { origin: unknown }, ...args: unknown[]) {
    void this.origin;
    return then.apply(this, args);
  };
}

/**
 * Every PostgreSQL pool Syncline opens, from a URL or from options alone: notices dropped, and
 * the sockets above (postgres.js documents its `socket` option; its 3.4.9 types leave it out).
 */
export function openPool(url: string | undefined, options: PoolOptions): Sql {
  const withSockets = { onnotice: () => {}, ...options, socket: noDelaySockets() };
  const sql = url === undefined ? postgres(withSockets) : postgres(url, withSockets);
  formatQueryOriginsAsTheyRun(sql);
  return sql;
}

export function createDatabase(url: string, options: { max?: number } = {}): Database {
  const sql = openPool(url, { max: options.max ?? 10, connection: SESSION_SETTINGS });
  const db = drizzle(sql, { schema });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** A statement refused by a unique index (SQLSTATE 23505), also when drizzle wraps the driver's error. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; cause?: { code?: string } };
  return (e.code ?? e.cause?.code) === '23505';
}
