// Starts `temporal server start-dev` with Syncline's search attributes and waits until it answers.
import { spawn } from 'node:child_process';
import net from 'node:net';
import { Connection } from '@temporalio/client';
import { searchAttributeServerArgs } from '../workflows/search-attributes';

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  stop(): Promise<void>;
}

export function freePort(preferred?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (preferred !== undefined && err.code === 'EADDRINUSE') resolve(freePort());
      else reject(err);
    });
    server.listen(preferred ?? 0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(address: string, exited: () => string | undefined, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const exit = exited();
    if (exit !== undefined) throw new Error(`temporal server exited before serving: ${exit}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`temporal server at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

export async function startTemporalDevServer(opts: {
  cliPath: string;
  port?: number;
  uiPort?: number;
  headless?: boolean;
  dbFilename?: string;
  namespace?: string;
}): Promise<DevServer> {
  const port = opts.port ?? (await freePort());
  const uiPort = opts.headless ? undefined : (opts.uiPort ?? (await freePort()));
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--namespace', opts.namespace ?? 'default',
    '--log-level', 'warn',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true',
    '--dynamic-config-value', 'frontend.enableUpdateWorkflowExecutionAsyncAccepted=true',
    ...searchAttributeServerArgs(),
    ...(opts.headless ? ['--headless'] : ['--ui-port', String(uiPort)]),
    ...(opts.dbFilename ? ['--db-filename', opts.dbFilename] : []),
  ];
  const child = spawn(opts.cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  let exit: string | undefined;
  child.on('exit', (code, signal) => {
    exit = `code ${code} signal ${signal}; stderr: ${stderr.trim()}`;
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const address = `127.0.0.1:${port}`;
  try {
    await waitUntilServing(address, () => exit, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (exit !== undefined) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
