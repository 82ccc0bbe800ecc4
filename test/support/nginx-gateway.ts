/**
 * The real nginx (from the OS packages) running deploy/nginx-gateway.conf, for the gateway e2e
 * test and bench/gateway.bench.ts. The documented file is what runs: only its addresses are
 * substituted, and a substitution that no longer matches fails loudly instead of testing a
 * different configuration. nginx runs as the current user in the foreground (daemon off), with
 * every path (pid, logs, temp files) in a temporary prefix directory.
 *
 * Uses node modules only (no jest), so the benchmark can import it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'];

/** The checkout's root: the nearest directory above this file that has deploy/nginx-gateway.conf. */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'deploy', 'nginx-gateway.conf'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('deploy/nginx-gateway.conf not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}

export const GATEWAY_CONF = join(projectRoot(), 'deploy', 'nginx-gateway.conf');

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function findNginx(): string | undefined {
  return NGINX_CANDIDATES.find((path) => existsSync(path));
}

/**
 * The nginx binary. Installs it through scripts/ensure-os-packages.sh when missing, after
 * waiting a while for an installation that may already be under way on this machine.
 */
export function ensureNginx(waitMs = 60_000): string {
  const deadline = Date.now() + waitMs;
  let found = findNginx();
  while (!found && Date.now() < deadline) {
    sleepSync(1000);
    found = findNginx();
  }
  if (found) return found;
  execFileSync(join(projectRoot(), 'scripts', 'ensure-os-packages.sh'), ['nginx:nginx'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 300_000,
  });
  found = findNginx();
  if (!found) throw new Error('nginx is not installed and could not be installed');
  return found;
}

export interface GatewayAddresses {
  /** host:port of each Tessera instance, in the order of the upstream block. */
  tessera: [string, string];
  /** host:port of the protected application. */
  app: string;
  /** The port nginx listens on (127.0.0.1). */
  listenPort: number;
}

/** Replaces `from` by `to`, insisting that `from` occurs exactly once. */
function replaceOnce(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) {
    throw new Error(`deploy/nginx-gateway.conf: expected "${from}" once, found it ${count} times`);
  }
  return text.replace(from, to);
}

/** deploy/nginx-gateway.conf with its addresses substituted; everything else as documented. */
export function renderGatewayConf(addresses: GatewayAddresses): string {
  let conf = readFileSync(GATEWAY_CONF, 'utf8');
  conf = replaceOnce(conf, 'server tessera-1:3000 ', `server ${addresses.tessera[0]} `);
  conf = replaceOnce(conf, 'server tessera-2:3000 ', `server ${addresses.tessera[1]} `);
  conf = replaceOnce(conf, 'server app:8080;', `server ${addresses.app};`);
  conf = replaceOnce(conf, 'listen 8080;', `listen 127.0.0.1:${addresses.listenPort};`);
  return conf;
}

/** The main configuration around the conf.d file: everything nginx writes stays in `prefix`. */
function mainConf(prefix: string, gatewayConfPath: string): string {
  return [
    'worker_processes 1;',
    `error_log ${join(prefix, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    `    access_log off;`,
    `    client_body_temp_path ${join(prefix, 'client_body')};`,
    `    proxy_temp_path ${join(prefix, 'proxy')};`,
    `    fastcgi_temp_path ${join(prefix, 'fastcgi')};`,
    `    uwsgi_temp_path ${join(prefix, 'uwsgi')};`,
    `    scgi_temp_path ${join(prefix, 'scgi')};`,
    `    include ${gatewayConfPath};`,
    '}',
    '',
  ].join('\n');
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

export interface RunningNginx {
  /** http://127.0.0.1:<port> */
  readonly baseUrl: string;
  /** The error log so far (for failure messages). */
  errorLog(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx in the foreground on the gateway configuration; resolves once it accepts
 * connections. `nginx -t` runs first so a broken configuration fails with nginx's own message.
 */
export async function startGatewayNginx(
  addresses: Omit<GatewayAddresses, 'listenPort'>,
  nginxBinary = ensureNginx(),
): Promise<RunningNginx> {
  const listenPort = await freePort();
  const prefix = mkdtempSync(join(tmpdir(), 'tessera-nginx-'));
  for (const dir of ['logs', 'client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'])
    mkdirSync(join(prefix, dir));
  const gatewayConfPath = join(prefix, 'gateway.conf');
  writeFileSync(gatewayConfPath, renderGatewayConf({ ...addresses, listenPort }));
  const confPath = join(prefix, 'nginx.conf');
  writeFileSync(confPath, mainConf(prefix, gatewayConfPath));
  const args = [
    '-p',
    prefix,
    '-e',
    join(prefix, 'error.log'),
    '-c',
    confPath,
    '-g',
    `daemon off; pid ${join(prefix, 'nginx.pid')};`,
  ];
  const errorLog = (): string => {
    try {
      return readFileSync(join(prefix, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  try {
    execFileSync(nginxBinary, ['-t', '-q', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? '';
    rmSync(prefix, { recursive: true, force: true });
    throw new Error(`nginx -t refused the gateway configuration:\n${stderr}${errorLog()}`, {
      cause: error,
    });
  }

  const child: ChildProcess = spawn(nginxBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (!hasExited) {
      child.kill('SIGQUIT'); // graceful: finish requests in flight
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(prefix, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (!(await canConnect(listenPort))) {
    if (hasExited || Date.now() > deadline) {
      const log = `${output}${errorLog()}`;
      await stop();
      throw new Error(`nginx did not start:\n${log}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return { baseUrl: `http://127.0.0.1:${listenPort}`, errorLog, stop };
}

export interface EchoedRequest {
  method: string;
  url: string;
  /** The X-Auth-* headers the application received (lower-case names). */
  auth: Record<string, string>;
}

export interface EchoUpstream {
  /** host:port */
  readonly address: string;
  /** How many requests reached it. */
  readonly hits: number;
  close(): Promise<void>;
}

function authHeaders(req: IncomingMessage): Record<string, string> {
  const auth: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith('x-auth-') && typeof value === 'string') auth[name] = value;
  }
  return auth;
}

/** The protected application: answers 200 with the method, URL and X-Auth-* headers it got. */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits += 1;
    req.resume();
    req.on('end', () => {
      const body: EchoedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        auth: authHeaders(req),
      };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    address: `127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
