/**
 * Forward authentication (GET /auth/verify) and the nginx gateway of deploy/nginx-gateway.conf:
 *
 * 1. Throughput of GET /auth/verify (bearer, cached token) against GET /health/live on the same
 *    server process, interleaved rounds; the target is a ratio of at least 0.8.
 * 2. Revocation through the gateway: a session revoked on instance A, then polled through nginx
 *    whose only reachable Tessera is instance B (A's nginx path is cut), until refused. p50/p99
 *    of "A's 204 → first 401 through nginx" over REVOCATION_ROUNDS sessions.
 *
 *   npm run build && node dist/bench/gateway.bench.js
 *
 * Two real server processes (dist/src/main.js) on a scratch database of the PostgreSQL server
 * (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres), Redis at
 * redis://127.0.0.1:6379 when it answers, and the OS's nginx. Prints figures; asserts nothing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  ensureNginx,
  freePort,
  startEchoUpstream,
  startGatewayNginx,
} from '../test/support/nginx-gateway';
import { TcpProxy } from '../test/support/tcp-proxy';
import {
  emitSummary,
  fmt,
  HttpClient,
  machineNote,
  nowMs,
  postgresTarget,
  registerAndLogin,
  stats,
  BENCH_PASSWORD,
  type SignedIn,
} from './support';
import { redisAnswers } from '../test/support/redis-probe';

const REVOCATION_ROUNDS = 100;
const THROUGHPUT_ROUNDS = 3;
const THROUGHPUT_SECONDS_PER_ROUND = 2;
const CONCURRENCY = 8;
const READY_TIMEOUT_MS = 120_000;

interface Server {
  baseUrl: string;
  stop(): Promise<void>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** node dist/src/main.js with `env`, on a free port; resolves once /health/ready answers 200. */
async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, '..', 'src', 'main.js')], {
    cwd: join(__dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
  };
  process.once('exit', () => child.kill('SIGKILL'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const status = await fetch(`${baseUrl}/health/ready`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return { baseUrl, stop };
    await sleep(100);
  }
  await stop();
  throw new Error('server not ready in time');
}

/** Closed-loop load for `seconds`: CONCURRENCY requests in flight. Returns requests per second. */
async function requestsPerSecond(
  seconds: number,
  request: () => Promise<{ status: number }>,
  expected: number,
): Promise<number> {
  const end = nowMs() + seconds * 1000;
  let done = 0;
  const start = nowMs();
  const worker = async (): Promise<void> => {
    while (nowMs() < end) {
      const { status } = await request();
      if (status !== expected) throw new Error(`expected ${expected}, got ${status}`);
      done += 1;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker()));
  return done / ((nowMs() - start) / 1000);
}

async function throughput(server: Server, me: SignedIn): Promise<{ live: number; verify: number }> {
  const http = new HttpClient(server.baseUrl, CONCURRENCY);
  const live: number[] = [];
  const verify: number[] = [];
  try {
    // Warm both routes (JIT, the verified-token cache) before measuring.
    await requestsPerSecond(1, () => http.send('GET', '/health/live'), 200);
    await requestsPerSecond(
      1,
      () => http.send('GET', '/auth/verify', { token: me.accessToken }),
      204,
    );
    for (let round = 0; round < THROUGHPUT_ROUNDS; round += 1) {
      live.push(
        await requestsPerSecond(
          THROUGHPUT_SECONDS_PER_ROUND,
          () => http.send('GET', '/health/live'),
          200,
        ),
      );
      verify.push(
        await requestsPerSecond(
          THROUGHPUT_SECONDS_PER_ROUND,
          () => http.send('GET', '/auth/verify', { token: me.accessToken }),
          204,
        ),
      );
    }
  } finally {
    http.close();
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { live: mean(live), verify: mean(verify) };
}

/** Revokes on A, polls through nginx (answered by B only) until refused; ms per round. */
async function revocations(a: Server, gatewayUrl: string, email: string): Promise<number[]> {
  const direct = new HttpClient(a.baseUrl, 2);
  const gateway = new HttpClient(gatewayUrl, 2);
  const delays: number[] = [];
  try {
    for (let round = 0; round < REVOCATION_ROUNDS; round += 1) {
      const signedIn = await direct.json<SignedIn>('POST', '/auth/login', 200, {
        body: { email, password: BENCH_PASSWORD },
      });
      const token = signedIn.accessToken;
      const before = await gateway.send('GET', '/app', { token });
      if (before.status !== 200)
        throw new Error(`gateway refused a live session: ${before.status}`);
      await direct.json('POST', '/auth/logout', 204, { token });
      const revokedAt = nowMs();
      for (;;) {
        const reply = await gateway.send('GET', '/app', { token });
        if (reply.status === 401) break;
        if (nowMs() - revokedAt > 5000) throw new Error('not refused within 5 s');
      }
      delays.push(nowMs() - revokedAt);
    }
  } finally {
    direct.close();
    gateway.close();
  }
  return delays;
}

export async function main(): Promise<Record<string, string | number | null>> {
  console.log(`gateway benchmark\n${machineNote()}`);
  const nginxBinary = ensureNginx();
  const target = await postgresTarget();
  const redis = await redisAnswers();
  const env: Record<string, string> = {
    DATABASE_URL: target.config.databaseUrl ?? '',
    JWT_PRIVATE_KEY: target.config.jwt.privateKeyPem ?? '',
    RATE_LIMIT_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    TRUST_PROXY: '1',
    // One issuer for both instances (it defaults to PUBLIC_URL): B accepts A's tokens.
    PUBLIC_URL: 'http://tessera.bench.test',
    ...(redis ? { REDIS_URL: 'redis://127.0.0.1:6379/13' } : {}),
  };
  const started: Array<{ stop(): Promise<void> }> = [];
  const figures: Record<string, string | number | null> = {};
  try {
    const a = await startServer(env);
    started.push(a);
    const b = await startServer(env);
    started.push(b);
    const proxyToA = new TcpProxy('127.0.0.1', Number(new URL(a.baseUrl).port));
    await proxyToA.start();
    started.push(proxyToA);
    const app = await startEchoUpstream();
    started.push({ stop: () => app.close() });
    const nginx = await startGatewayNginx(
      { tessera: [`127.0.0.1:${proxyToA.port}`, new URL(b.baseUrl).host], app: app.address },
      nginxBinary,
    );
    started.push(nginx);

    const setup = new HttpClient(b.baseUrl, 1);
    const email = `gateway.${process.pid}.${Date.now()}@example.com`;
    const me = await registerAndLogin(setup, email);
    setup.close();

    const rates = await throughput(b, me);
    const ratio = rates.verify / rates.live;
    console.log(
      `throughput on one server process, ${CONCURRENCY} in flight, ${THROUGHPUT_ROUNDS} interleaved rounds of ${THROUGHPUT_SECONDS_PER_ROUND} s:`,
    );
    console.log(`  GET /health/live              ${rates.live.toFixed(0).padStart(6)} req/s`);
    console.log(`  GET /auth/verify (bearer)     ${rates.verify.toFixed(0).padStart(6)} req/s`);
    console.log(`  ratio verify / live: ${ratio.toFixed(2)} (target ≥ 0.80)`);
    figures['live.rps'] = Math.round(rates.live);
    figures['verify.rps'] = Math.round(rates.verify);
    figures['ratio.verify/live'] = Number(ratio.toFixed(2));

    await proxyToA.cut(); // nginx now reaches B only
    const delays = await revocations(a, nginx.baseUrl, email);
    const s = stats(delays);
    console.log(
      `revocation on A → refused through nginx (answered by B), ${s.n} sessions, bus ${redis ? 'Redis' : 'LISTEN/NOTIFY'}:`,
    );
    console.log(`  p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}  max ${fmt(s.max)}`);
    figures['revocation.n'] = s.n;
    figures['revocation.p50'] = fmt(s.p50);
    figures['revocation.p99'] = fmt(s.p99);
    figures['revocation.max'] = fmt(s.max);
  } finally {
    for (const part of started.reverse()) await part.stop().catch(() => undefined);
    await target.drop();
  }
  return figures;
}

if (require.main === module) {
  main().then(
    (figures) => {
      emitSummary('gateway', figures);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
