import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { waitWhileBuilding } from './global-setup';

/**
 * Runs the compiled server (or CLI) as a real child process, for tests that need what an
 * in-process app cannot give: several instances, SIGTERM/SIGKILL, a fresh process start.
 * The e2e global setup builds dist once (`nest build`) before any suite runs.
 *
 * ```ts
 * const a = await spawnInstance({ env: { DATABASE_URL: url } });
 * await fetch(`${a.baseUrl}/health/live`);
 * await a.stop(); // or a.kill() to simulate a crash
 *
 * const r = await runToExit({ args: ['sessions:list', 'a@example.com'], env: { DATABASE_URL: url } });
 * expect(r.code).toBe(0); // r.stdout, r.stderr
 * ```
 */

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
export const SERVER_SCRIPT = 'dist/src/main.js';
/** What PUBLIC_URL (and so the token issuer) defaults to in tests: the app's own default. */
export const TEST_PUBLIC_URL = 'http://localhost:3000';

export interface SpawnInstanceOptions {
  /**
   * Environment for the child, over these defaults: HOST=127.0.0.1, PORT=0 (a free port),
   * LOG_LEVEL=info, RATE_LIMIT_ENABLED=false, PUBLIC_URL=TEST_PUBLIC_URL (so the instances of a
   * test share one issuer, like a deployment's behind its load balancer, and agree with
   * createTestApp's default), JWT_PRIVATE_KEY=the suite's shared test key
   * (unless JWT_PRIVATE_KEY_FILE is given), NODE_ENV=test with TEST_CHEAP_PASSWORD_HASHING=true
   * (unless NODE_ENV is given otherwise; see test-app.ts), and DATA_DIR=a fresh temporary
   * directory when neither DATABASE_URL nor DATA_DIR is given. Nothing else is inherited from
   * the test process
   * except PATH/HOME/TMPDIR, so a DATABASE_URL or REDIS_URL in the runner's environment never
   * leaks into an instance by accident.
   */
  env?: Record<string, string>;
  /** Script to run, relative to the project root. Default dist/src/main.js. */
  script?: string;
  /** Deadline for the process to listen and report /health/ready 200. Default 30 s. */
  readyTimeoutMs?: number;
}

export interface Instance {
  /** http://127.0.0.1:<port>, no trailing slash. */
  readonly baseUrl: string;
  readonly pid: number;
  /** The environment the child was started with (after defaults), e.g. to restart it alike. */
  readonly env: Readonly<Record<string, string>>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ExitInfo>;
  /** Everything the process wrote so far: stdout and stderr interleaved, for failure messages. */
  output(): string;
  /** stdout lines that parse as JSON log objects. */
  logs(): Array<Record<string, unknown>>;
  /** Graceful stop: SIGTERM, then waits for exit; SIGKILL if still running after timeoutMs (10 s). */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** Crash: SIGKILL, then waits for exit. */
  kill(): Promise<ExitInfo>;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const OUTPUT_LIMIT = 2_000_000; // characters kept per instance; the rest is dropped
const POLL_MS = 50;
const live = new Set<ChildProcess>();

// Never leave a server behind when a test process dies without calling stop().
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
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

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

async function childEnv(options: SpawnInstanceOptions): Promise<Record<string, string>> {
  const given = options.env ?? {};
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    RATE_LIMIT_ENABLED: 'false',
    PUBLIC_URL: TEST_PUBLIC_URL,
  };
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'SystemRoot']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  if ((given.NODE_ENV ?? 'test') === 'test') {
    env.NODE_ENV = 'test';
    env.TEST_CHEAP_PASSWORD_HASHING = 'true';
  }
  const testKey = process.env.TESSERA_TEST_SIGNING_KEY;
  if (testKey && !given.JWT_PRIVATE_KEY_FILE) env.JWT_PRIVATE_KEY = testKey;
  if (!given.DATABASE_URL && !given.DATA_DIR) {
    env.DATA_DIR = mkdtempSync(join(tmpdir(), 'tessera-instance-'));
  }
  Object.assign(env, given);
  // The listen address is learned from the startup log line, which LOG_LEVEL=warn suppresses:
  // then pick a free port here instead (a tiny window in which another process could take it).
  if (env.PORT === '0' && /^(warn|error)$/i.test(env.LOG_LEVEL))
    env.PORT = String(await freePort());
  return env;
}

/** Starts the server and resolves once /health/ready answers 200; rejects with its output otherwise. */
export async function spawnInstance(options: SpawnInstanceOptions = {}): Promise<Instance> {
  const script = options.script ?? SERVER_SCRIPT;
  const buildError = process.env.TESSERA_BUILD_ERROR;
  if (buildError) throw new Error(`dist was not built, so ${script} cannot run:\n${buildError}`);
  // A concurrent test run in this checkout may be rebuilding dist right now.
  waitWhileBuilding();
  if (!existsSync(join(PROJECT_ROOT, script))) {
    throw new Error(
      `${script} is missing: run "nest build" (the e2e global setup does unless TESSERA_SKIP_BUILD=1)`,
    );
  }
  const env = await childEnv(options);
  const child = spawn(process.execPath, [script], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<ExitInfo>((done) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      done({ code, signal });
    });
  });

  let output = '';
  let stdoutBuffer = '';
  const jsonLines: Array<Record<string, unknown>> = [];
  const append = (text: string): void => {
    if (output.length < OUTPUT_LIMIT) output += text;
  };
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    append(chunk);
    stdoutBuffer += chunk;
    let newline = stdoutBuffer.indexOf('\n');
    while (newline >= 0) {
      const line = stdoutBuffer.slice(0, newline);
      stdoutBuffer = stdoutBuffer.slice(newline + 1);
      if (line.startsWith('{') && jsonLines.length < 100_000) {
        try {
          jsonLines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          // not a log line: kept in output() only
        }
      }
      newline = stdoutBuffer.indexOf('\n');
    }
  });
  child.stderr?.on('data', (chunk: string) => append(chunk));

  let exitInfo: ExitInfo | undefined;
  void exited.then((info) => {
    exitInfo = info;
  });
  const waitExit = async (timeoutMs: number): Promise<ExitInfo | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((done) => {
      timer = setTimeout(() => done(undefined), timeoutMs);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  const kill = async (): Promise<ExitInfo> => {
    if (!exitInfo) child.kill('SIGKILL');
    return exited;
  };
  const stop = async (timeoutMs = 10_000): Promise<ExitInfo> => {
    if (exitInfo) return exitInfo;
    child.kill('SIGTERM');
    return (await waitExit(timeoutMs)) ?? kill();
  };

  const fail = async (reason: string): Promise<never> => {
    await kill();
    throw new Error(`${script} ${reason}\n--- output ---\n${output.slice(-20_000)}`);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let baseUrl = env.PORT === '0' ? undefined : `http://${env.HOST}:${env.PORT}`;
  while (true) {
    if (exitInfo)
      return fail(`exited before it was ready (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    if (Date.now() > deadline) return fail('was not ready before the deadline');
    baseUrl ??= jsonLines
      .map((line) => line.api)
      .find((api): api is string => typeof api === 'string');
    if (baseUrl) {
      const status = await fetch(`${baseUrl}/health/ready`, {
        signal: AbortSignal.timeout(2000),
      }).then(
        (res) => res.status,
        () => 0,
      );
      if (status === 200) break;
    }
    await sleep(POLL_MS);
  }
  if (!baseUrl) return fail('never reported its address'); // unreachable: the loop exits ready

  return {
    baseUrl,
    pid: child.pid ?? -1,
    env,
    exited,
    output: () => output,
    logs: () => [...jsonLines],
    stop,
    kill,
  };
}

export const CLI_SCRIPT = 'dist/src/cli.js';

export interface RunToExitOptions {
  /** Arguments after the script, e.g. ['sessions:list', 'a@example.com']. */
  args?: string[];
  /** As SpawnInstanceOptions.env (same defaults; PORT/HOST are simply unused by the CLI). */
  env?: Record<string, string>;
  /** Script to run, relative to the project root. Default dist/src/cli.js. */
  script?: string;
  /** The process is killed (SIGKILL) after this long. Default 30 s. */
  timeoutMs?: number;
}

export interface RunResult extends ExitInfo {
  stdout: string;
  stderr: string;
  /** True when the deadline killed it. */
  timedOut: boolean;
}

/** Runs a command-line script (the operator CLI by default) to its exit; never throws on a non-zero status. */
export async function runToExit(options: RunToExitOptions = {}): Promise<RunResult> {
  const script = options.script ?? CLI_SCRIPT;
  const buildError = process.env.TESSERA_BUILD_ERROR;
  if (buildError) throw new Error(`dist was not built, so ${script} cannot run:\n${buildError}`);
  waitWhileBuilding();
  const env = await childEnv({ env: options.env });
  const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    if (stdout.length < OUTPUT_LIMIT) stdout += chunk;
  });
  child.stderr?.on('data', (chunk: string) => {
    if (stderr.length < OUTPUT_LIMIT) stderr += chunk;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 30_000);
  // 'close' (not 'exit'): the output streams are complete then.
  const { code, signal } = await new Promise<ExitInfo>((done) => {
    child.once('close', (exitCode: number | null, exitSignal: NodeJS.Signals | null) =>
      done({ code: exitCode, signal: exitSignal }),
    );
  });
  clearTimeout(timer);
  live.delete(child);
  return { code, signal, stdout, stderr, timedOut };
}
