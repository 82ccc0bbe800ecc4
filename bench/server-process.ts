/**
 * A server under load runs as its own process, pinned to one core, while the load generator
 * runs on the other: in-process figures would measure the client as much as the server. The
 * environment is built like test/support/spawn-instance.ts (nothing inherited but PATH/HOME/
 * TMPDIR), which the build does not compile, hence this small copy of the parts a bench needs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { MALLOC_ENV } from '../src/memory-settings';
import { nowMs } from './support';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
/** The core servers are pinned to; the load generator takes the other one. */
export const SERVER_CORE = 1;
export const LOAD_CORE = 0;

export interface ServerProcess {
  readonly label: string;
  readonly baseUrl: string;
  readonly pid: number;
  /** Spawn until /health/ready answered 200. */
  readonly startupMs: number;
  /** Resident set size now (VmRSS), bytes. */
  rssBytes(): number;
  /** Largest resident set size so far (VmHWM), bytes. */
  peakRssBytes(): number;
  /** CPU time used so far, all threads (user + system), milliseconds (10 ms resolution). */
  cpuMs(): number;
  stop(): Promise<void>;
  /** The last lines the process wrote, for failure messages. */
  output(): string;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Pins this process (every thread: libuv's pool too) to the load generator's core. */
export function pinSelfToLoadCore(): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(LOAD_CORE), String(process.pid)], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** utime + stime of /proc/<pid>/stat, in clock ticks of 10 ms (USER_HZ is 100 on Linux). */
function cpuTimeMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

export interface SpawnOptions {
  label: string;
  /** Script relative to the project root, e.g. dist/src/main.js. */
  script: string;
  env: Record<string, string>;
  /** Polled until it answers 200. */
  readyPath: string;
  readyTimeoutMs?: number;
}

/** Starts `script` pinned to SERVER_CORE (when taskset exists) on a free port; resolves when ready. */
export async function spawnPinned(options: SpawnOptions): Promise<ServerProcess> {
  const script = join(PROJECT_ROOT, options.script);
  if (!existsSync(script)) throw new Error(`${options.script} is missing: run "npm run build"`);
  const port = await freePort();
  const env: Record<string, string> = { HOST: '127.0.0.1', PORT: String(port) };
  for (const name of ['PATH', 'HOME', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, options.env);
  // e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the servers.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // taskset execs node, so the child's pid is the server's pid (for /proc/<pid>/status).
  const [command, args] = hasTaskset()
    ? ['taskset', ['-c', String(SERVER_CORE), process.execPath, ...nodeArgs, script]]
    : [process.execPath, [...nodeArgs, script]];
  const started = nowMs();
  // The server's log lines (an access line per request at the default level) go to a file, as
  // to a log collector in production: the server pays for writing them, the load generator's
  // core does not pay for reading them.
  const logFile = join(tmpdir(), `tessera-bench-${port}.log`);
  const logFd = openSync(logFile, 'w');
  const child: ChildProcess = spawn(command, args, {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', logFd, 'pipe'],
  });
  closeSync(logFd);
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString('utf8')).slice(-20_000);
  });
  const output = (): string => {
    const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-20_000) : '';
    return `${log}${errors}`;
  };
  let exited = false;
  const exit = new Promise<void>((done) =>
    child.once('exit', () => {
      exited = true;
      done();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
    rmSync(logFile, { force: true });
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = started + (options.readyTimeoutMs ?? 120_000);
  while (!(await answers(`${baseUrl}${options.readyPath}`))) {
    if (exited || nowMs() > deadline) {
      await stop();
      throw new Error(
        `${options.label} ${exited ? 'exited' : 'was not ready in time'}:\n${output().slice(-4000)}`,
      );
    }
    await new Promise((wait) => setTimeout(wait, 50));
  }
  const startupMs = nowMs() - started;
  const pid = child.pid ?? -1;
  return {
    label: options.label,
    baseUrl,
    pid,
    startupMs,
    rssBytes: () => statusField(pid, 'VmRSS'),
    peakRssBytes: () => statusField(pid, 'VmHWM'),
    cpuMs: () => cpuTimeMs(pid),
    stop,
    output,
  };
}

/** The Tessera server (dist/src/main.js) on a PostgreSQL database. */
export function spawnTessera(
  label: string,
  databaseUrl: string,
  extraEnv: Record<string, string>,
): Promise<ServerProcess> {
  return spawnPinned({
    label,
    script: 'dist/src/main.js',
    env: {
      // The product's malloc settings (the Dockerfile sets the same).
      ...MALLOC_ENV,
      DATABASE_URL: databaseUrl,
      // The product's default log level: every request but probes writes its access line.
      LOG_LEVEL: 'info',
      RATE_LIMIT_ENABLED: 'false',
      ...extraEnv,
    },
    readyPath: '/health/ready',
  });
}

/** The ceiling: a minimal Nest app with one @Get route (bench/bare-nest.server.ts). */
export function spawnBareNest(): Promise<ServerProcess> {
  return spawnPinned({
    label: 'bare Nest',
    script: 'dist/bench/bare-nest.server.js',
    env: {},
    readyPath: '/ping',
  });
}

export function mb(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(0)} MB` : 'n/a';
}
