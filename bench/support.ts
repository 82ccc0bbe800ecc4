/**
 * Shared pieces of the benchmarks: the database targets, a keep-alive HTTP client, timing and
 * printing. Benchmarks print figures and ratios and never assert on timing: the machine is
 * shared, so absolute numbers are noisy; compare ratios within one run.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { Client } from 'pg';
import { createApp, type TesseraApp } from '../src/app.factory';
import { generatePrivateKeyPemSync } from '../src/auth/tokens/signing-keys';
import { JsonLogger } from '../src/common/json-logger';
import { type AppConfig, loadConfig } from '../src/config/app-config';

export const DEFAULT_SERVER_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function serverUrl(): string {
  const url = process.env.DATABASE_URL?.trim();
  return url ? url : DEFAULT_SERVER_URL;
}

export function machineNote(): string {
  const cpu = cpus();
  const load = loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  return (
    `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, load avg ${load}, node ${process.version}; ` +
    'shared with other work, so absolute figures are noisy: compare the ratios'
  );
}

export interface BenchTarget {
  /** 'postgresql' (the server, on a scratch database) or 'pglite' (embedded, in memory). */
  engine: 'postgresql' | 'pglite';
  config: AppConfig;
  /** Drops the scratch database, if any. */
  drop(): Promise<void>;
}

let signingKey: string | undefined;

/** One RSA key per benchmark process (generating a 3072-bit key takes a second or more). */
function benchSigningKey(): string {
  signingKey ??= process.env.TESSERA_TEST_SIGNING_KEY ?? generatePrivateKeyPemSync('RS256');
  return signingKey;
}

function baseEnv(): Record<string, string> {
  return { RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'warn', JWT_PRIVATE_KEY: benchSigningKey() };
}

async function withAdmin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database on the PostgreSQL server, dropped by `drop()`. */
export async function postgresTarget(): Promise<BenchTarget> {
  const server = serverUrl();
  const name = `tessera_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  await withAdmin(server, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    engine: 'postgresql',
    config: loadConfig({ ...baseEnv(), DATABASE_URL: url.toString() }),
    drop: async () => {
      await withAdmin(server, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      );
    },
  };
}

/** The embedded PostgreSQL (PGlite), in memory. */
export function pgliteTarget(): BenchTarget {
  return {
    engine: 'pglite',
    config: { ...loadConfig(baseEnv()), embeddedInMemory: true },
    drop: async () => undefined,
  };
}

export interface RunningApp extends TesseraApp {
  baseUrl: string;
}

/** Boots the whole application (migrations included) and listens on a free local port. */
export async function startApp(target: BenchTarget): Promise<RunningApp> {
  // Logs go to stderr so that stdout carries only the figures.
  const logger = new JsonLogger(target.config.logLevel, (line) =>
    process.stderr.write(`${line}\n`),
  );
  const started = await createApp(target.config, { logger });
  await started.app.listen(0, '127.0.0.1');
  const address = started.app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { ...started, baseUrl: `http://127.0.0.1:${port}` };
}

export interface HttpReply {
  status: number;
  body: string;
}

/** A keep-alive HTTP client: a benchmark should not measure TCP handshakes. */
export class HttpClient {
  private readonly agent: Agent;

  constructor(
    private readonly baseUrl: string,
    maxSockets = 16,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /**
   * Retries once when a reused keep-alive socket was closed by the server meanwhile (Node's
   * documented race after an idle pause, e.g. while seeding); the request never reached it.
   */
  async send(
    method: string,
    path: string,
    options: { token?: string; body?: unknown } = {},
  ): Promise<HttpReply> {
    try {
      return await this.sendOnce(method, path, options);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (
        (error as { reusedSocket?: boolean }).reusedSocket &&
        (code === 'ECONNRESET' || code === 'EPIPE')
      ) {
        return this.sendOnce(method, path, options);
      }
      throw error;
    }
  }

  private sendOnce(
    method: string,
    path: string,
    options: { token?: string; body?: unknown },
  ): Promise<HttpReply> {
    const url = new URL(path, this.baseUrl);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', (error) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
      req.end(payload);
    });
  }

  async json<T>(
    method: string,
    path: string,
    expected: number,
    options: { token?: string; body?: unknown } = {},
  ): Promise<T> {
    const reply = await this.send(method, path, options);
    if (reply.status !== expected)
      throw new Error(`${method} ${path}: ${reply.status} ${reply.body.slice(0, 300)}`);
    return (reply.body ? JSON.parse(reply.body) : {}) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

export const BENCH_PASSWORD = 'correct horse battery staple';

export interface SignedIn {
  accessToken: string;
  session: { id: string };
  user: { id: string };
}

export async function registerAndLogin(http: HttpClient, email: string): Promise<SignedIn> {
  await http.json('POST', '/auth/register', 201, { body: { email, password: BENCH_PASSWORD } });
  return http.json<SignedIn>('POST', '/auth/login', 200, {
    body: { email, password: BENCH_PASSWORD },
  });
}

export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export interface Stats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function stats(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
  const sum = sorted.reduce((total, x) => total + x, 0);
  return {
    n: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: at(1),
    mean: sum / Math.max(1, sorted.length),
  };
}

/** Runs `work` `warmup` times unmeasured, then `n` times measured (ms per call, sequential). */
export async function sample(
  n: number,
  warmup: number,
  work: (i: number) => Promise<unknown>,
): Promise<Stats> {
  for (let i = 0; i < warmup; i += 1) await work(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i += 1) {
    const start = nowMs();
    await work(i);
    samples.push(nowMs() - start);
  }
  return stats(samples);
}

export function fmt(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms < 0.1) return `${(ms * 1000).toFixed(1)} µs`;
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

export function describeStats(s: Stats): string {
  return `p50 ${fmt(s.p50)}  p95 ${fmt(s.p95)}  p99 ${fmt(s.p99)}  max ${fmt(s.max)}  (n=${s.n})`;
}

/** Prefix of the one stdout line a benchmark writes for run-all to collect. */
export const SUMMARY_PREFIX = 'BENCH_SUMMARY ';

export function emitSummary(name: string, figures: Record<string, string | number | null>): void {
  process.stdout.write(`${SUMMARY_PREFIX}${JSON.stringify({ name, figures })}\n`);
}

/** Bounded: never hang a benchmark run on a stuck step. */
export async function withDeadline<T>(label: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no result within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
