/**
 * Start-up time as a new user meets it: `node dist/src/main.js` on the embedded database with
 * no DATA_DIR yet (first start: database files and a signing key are created) and again on the
 * same directory (restart). Measured until /health/ready is 200 and /docs answers. The target
 * (issue 2) is 15 s for `npm install && npm start`, of which the build is the rest.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { emitSummary, fmt, machineNote, nowMs } from './support';

const ROOT = resolve(__dirname, '..', '..');
const PORT = 3901;
const ROUNDS = 3;

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).status === 200;
  } catch {
    return false;
  }
}

/** Starts the server, waits (bounded) for ready + docs, stops it; returns milliseconds. */
async function timeStart(dataDir: string): Promise<number> {
  const started = nowMs();
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'main.js')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATA_DIR: dataDir,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const exited = new Promise((done) => child.on('exit', done));
  try {
    const deadline = started + 60_000;
    const base = `http://127.0.0.1:${PORT}`;
    while (!((await answers(`${base}/health/ready`)) && (await answers(`${base}/docs`)))) {
      if (nowMs() > deadline) throw new Error('not ready within 60 s');
      await new Promise((wait) => setTimeout(wait, 50));
    }
    return nowMs() - started;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function main(): Promise<void> {
  process.stdout.write(`startup benchmark\n${machineNote()}\n`);
  const first: number[] = [];
  const restart: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-startup-'));
    try {
      first.push(await timeStart(dir));
      restart.push(await timeStart(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  process.stdout.write(
    `  first start (new DATA_DIR, key generated)  median ${fmt(median(first))}  all ${first.map(fmt).join(', ')}\n`,
  );
  process.stdout.write(
    `  restart (existing DATA_DIR)                median ${fmt(median(restart))}  all ${restart.map(fmt).join(', ')}\n`,
  );
  emitSummary('startup', {
    'first.median': fmt(median(first)),
    'restart.median': fmt(median(restart)),
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
