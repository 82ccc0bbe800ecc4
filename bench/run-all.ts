/**
 * Runs every benchmark, each in its own process (a fresh heap and event loop, so one cannot
 * slow the next), streams their output, and ends with a summary of the headline figures.
 *
 *   npm run bench                      (builds first)
 *   npm run bench -- --write-docs      also writes the targets table to docs/benchmarks.md
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fmt, machineNote, nowMs, SUMMARY_PREFIX } from './support';

interface Bench {
  name: string;
  file: string;
  args: string[];
  /** A stuck benchmark is killed after this long. */
  timeoutMs: number;
  /** Receives PASSED_FLAGS. */
  passFlags?: boolean;
  /** Skipped with a message when its compiled file is missing. */
  optional?: boolean;
}

const BENCHES: Bench[] = [
  {
    name: 'sessions',
    file: 'sessions.bench.js',
    args: ['postgresql', 'pglite'],
    timeoutMs: 150_000,
  },
  { name: 'hot-path', file: 'hot-path.bench.js', args: [], timeoutMs: 90_000 },
  { name: 'startup', file: 'startup.bench.js', args: [], timeoutMs: 200_000 },
  // Issue 12's targets; seeding the 1M-session database (first run only) is most of its time.
  { name: 'targets', file: 'targets.bench.js', args: [], timeoutMs: 900_000, passFlags: true },
  // Written by the gateway work (revocation through nginx); skipped until it is built.
  { name: 'gateway', file: 'gateway.bench.js', args: [], timeoutMs: 180_000, optional: true },
];

/** Flags of `npm run bench -- …` handed to the benches that take them. */
const PASSED_FLAGS = process.argv.slice(2).filter((arg) => arg === '--write-docs');

interface Outcome {
  name: string;
  ok: boolean;
  ms: number;
  figures: Record<string, string | number | null>;
}

function run(bench: Bench): Promise<Outcome> {
  const started = nowMs();
  return new Promise((resolve) => {
    const args = [...bench.args, ...(bench.passFlags ? PASSED_FLAGS : [])];
    const child = spawn(process.execPath, [join(__dirname, bench.file), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let figures: Record<string, string | number | null> = {};
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let newline = pending.indexOf('\n');
      while (newline >= 0) {
        const line = pending.slice(0, newline);
        pending = pending.slice(newline + 1);
        if (line.startsWith(SUMMARY_PREFIX)) {
          figures = (JSON.parse(line.slice(SUMMARY_PREFIX.length)) as { figures: typeof figures })
            .figures;
        } else {
          process.stdout.write(`${line}\n`);
        }
        newline = pending.indexOf('\n');
      }
    });
    const timer = setTimeout(() => {
      process.stdout.write(`${bench.name}: no result within ${bench.timeoutMs} ms, stopping it\n`);
      child.kill('SIGKILL');
    }, bench.timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ name: bench.name, ok: code === 0, ms: nowMs() - started, figures });
    });
  });
}

async function main(): Promise<number> {
  const outcomes: Outcome[] = [];
  for (const bench of BENCHES) {
    process.stdout.write(`\n######## ${bench.name} ########\n`);
    if (bench.optional && !existsSync(join(__dirname, bench.file))) {
      process.stdout.write(`${bench.name}: skipped, ${bench.file} is not built (not merged yet)\n`);
      continue;
    }
    outcomes.push(await run(bench));
  }
  process.stdout.write(`\n######## summary ########\n${machineNote()}\n`);
  for (const outcome of outcomes) {
    process.stdout.write(
      `${outcome.name}: ${outcome.ok ? 'ok' : 'FAILED'} in ${fmt(outcome.ms)}\n`,
    );
    for (const [key, value] of Object.entries(outcome.figures)) {
      process.stdout.write(`  ${key.padEnd(44)} ${String(value)}\n`);
    }
  }
  return outcomes.every((outcome) => outcome.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
