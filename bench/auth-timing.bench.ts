/**
 * Timing of the answers that must not reveal whether an email has an account: a wrong-password
 * login and a forgot-password request, for a known and an unknown email, interleaved, medians
 * over N requests each way. Prints figures; asserts nothing (the e2e tests count the work).
 *
 *   node dist/bench/auth-timing.bench.js [pglite|postgresql] [N]
 */
import {
  BENCH_PASSWORD,
  type BenchTarget,
  HttpClient,
  machineNote,
  nowMs,
  pgliteTarget,
  postgresTarget,
  startApp,
} from './support';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function timed(
  http: HttpClient,
  path: string,
  body: unknown,
  status: number,
): Promise<number> {
  const start = nowMs();
  const reply = await http.send('POST', path, { body });
  const elapsed = nowMs() - start;
  if (reply.status !== status) throw new Error(`${path}: ${reply.status} ${reply.body}`);
  return elapsed;
}

async function main(): Promise<void> {
  const engine = process.argv[2] ?? 'pglite';
  const n = Number(process.argv[3] ?? 200);
  const base: BenchTarget = engine === 'postgresql' ? await postgresTarget() : pgliteTarget();
  // No delays during the measurement: every wrong password is a plain 401.
  const target: BenchTarget = {
    ...base,
    config: {
      ...base.config,
      login: { ...base.config.login, maxFailures: 1000, accountMaxFailures: 1_000_000 },
    },
  };
  const running = await startApp(target);
  const http = new HttpClient(running.baseUrl, 1);
  try {
    const known = `timing.${process.pid}@example.com`;
    const ghost = `ghost.${process.pid}@example.com`;
    await http.json('POST', '/auth/register', 201, {
      body: { email: known, password: BENCH_PASSWORD },
    });
    const samples = {
      loginKnown: [] as number[],
      loginUnknown: [] as number[],
      forgotKnown: [] as number[],
      forgotUnknown: [] as number[],
    };
    // Warm-up, then interleaved so a change in the machine's load hits both sides.
    for (let i = 0; i < 10; i += 1) {
      await timed(http, '/auth/login', { email: ghost, password: 'wrong password here' }, 401);
      await timed(http, '/auth/password/forgot', { email: ghost }, 202);
    }
    for (let i = 0; i < n; i += 1) {
      const wrong = 'wrong password here';
      samples.loginKnown.push(
        await timed(http, '/auth/login', { email: known, password: wrong }, 401),
      );
      samples.loginUnknown.push(
        await timed(http, '/auth/login', { email: ghost, password: wrong }, 401),
      );
      samples.forgotKnown.push(await timed(http, '/auth/password/forgot', { email: known }, 202));
      samples.forgotUnknown.push(await timed(http, '/auth/password/forgot', { email: ghost }, 202));
    }
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
    process.stdout.write(`${machineNote()}\nengine ${engine}, ${n} requests each way, medians:\n`);
    process.stdout.write(
      `  login (wrong password): known ${m.loginKnown.toFixed(2)} ms, unknown ${m.loginUnknown.toFixed(2)} ms, diff ${(m.loginKnown - m.loginUnknown).toFixed(2)} ms\n` +
        `  forgot-password:        known ${m.forgotKnown.toFixed(2)} ms, unknown ${m.forgotUnknown.toFixed(2)} ms, ratio ${(m.forgotKnown / m.forgotUnknown).toFixed(2)}\n`,
    );
  } finally {
    http.close();
    await running.close();
    await target.drop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
