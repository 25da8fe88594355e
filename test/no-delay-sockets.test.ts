// Every PostgreSQL pool Syncline opens talks over TCP sockets with Nagle's algorithm off: postgres.js
// leaves it on, and a COPY's last two small writes then wait 40 ms for the server's delayed ACK.
// The socket the pool really used for a query is captured and asked; Node keeps the setting under
// a private symbol (no public getter), set from the `noDelay` option when the socket is created.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { ConnectionPools } from '../activities/connectors/postgres-destination';
import { createDatabase, type Sql } from '../db/client';
import { createTestDatabase, type TestDatabase } from './helpers/database';

let database: TestDatabase;

before(async () => {
  database = await createTestDatabase();
});

after(async () => {
  await database?.drop();
});

type SocketFactory = (target: unknown) => net.Socket;

function noDelayOf(socket: net.Socket): boolean {
  const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay');
  assert.ok(symbol, 'this Node keeps a socket\'s noDelay under kSetNoDelay');
  return (socket as unknown as Record<symbol, boolean>)[symbol] === true;
}

/** Runs one query on a pool not yet connected and returns the sockets its connections opened. */
async function socketsUsedBy(sql: Sql): Promise<net.Socket[]> {
  const options = sql.options as unknown as { socket?: SocketFactory };
  const factory = options.socket;
  assert.equal(typeof factory, 'function', 'the pool was given a socket factory');
  const opened: net.Socket[] = [];
  options.socket = (target) => {
    const socket = factory!(target);
    opened.push(socket);
    return socket;
  };
  const [row] = await sql`select 1 as one`;
  assert.equal(row!.one, 1);
  return opened;
}

test('the read model pool connects over TCP with Nagle off', async () => {
  const own = createDatabase(database.url, { max: 1 });
  try {
    const sockets = await socketsUsedBy(own.sql);
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0]!.remotePort, database.connection.port);
    assert.equal(noDelayOf(sockets[0]!), true);
  } finally {
    await own.close();
  }
});

test('a PostgreSQL connection pool of the worker connects over TCP with Nagle off', async () => {
  const pools = new ConnectionPools();
  try {
    const sql = pools.get('v1', { ...database.connection, ssl: false }, undefined);
    const sockets = await socketsUsedBy(sql);
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0]!.remotePort, database.connection.port);
    assert.equal(noDelayOf(sockets[0]!), true);
  } finally {
    await pools.closeAll();
  }
});

/**
 * A relay on localhost to the test's PostgreSQL that keeps what the client sent: before the TLS
 * upgrade only the SSLRequest goes in the clear, so the server's name in those bytes is the TLS
 * ClientHello's SNI.
 */
async function startRelay(to: { host: string; port: number }): Promise<{ port: number; sent: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(to);
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => open.delete(socket));
    }
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    sent: () => Buffer.concat(chunks),
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('a pool over TLS names its server, as postgres.js does with its own sockets (SNI, certificate host check)', async (t) => {
  const [setting] = await database.sql<{ ssl: string }[]>`select current_setting('ssl') as ssl`;
  if (setting!.ssl !== 'on') return t.skip('this PostgreSQL server has TLS off');
  const relay = await startRelay({ host: database.connection.host, port: database.connection.port });
  const pools = new ConnectionPools();
  try {
    const sql = pools.get('v1', { ...database.connection, host: 'localhost', port: relay.port, ssl: true }, undefined);
    const [row] = await sql<{ ssl: boolean }[]>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`;
    assert.equal(row!.ssl, true, 'the connection is encrypted');
    assert.ok(relay.sent().includes('localhost'), 'the ClientHello names the server');
  } finally {
    await pools.closeAll();
    await relay.close();
  }
});
