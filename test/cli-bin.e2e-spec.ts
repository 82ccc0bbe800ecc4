import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

// Builds only when dist is stale (on a loaded machine that takes a minute or more).
jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a program in the project root with a bare environment (no DATABASE_URL leaks in). */
function run(file: string, args: string[]): Promise<Run> {
  const started = Date.now();
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn' };
  return new Promise((done) => {
    execFile(file, args, { cwd: ROOT, env, timeout: 200_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Every file under dist with its modification time, minus the files this test puts there. */
function distFiles(dir = DIST, into = new Map<string, number>()): Map<string, number> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = statSync(path);
    if (stat.isDirectory()) distFiles(path, into);
    else if (!entry.startsWith('.untouched-')) into.set(path, stat.mtimeMs);
  }
  return into;
}

describe('npm run cli: never rebuilds a current dist; the tessera bin', () => {
  const marker = join(DIST, `.untouched-${process.pid}`);

  beforeAll(async () => {
    // Bring dist up to date first (a no-op when it is), so the runs below find it current.
    const built = await run(process.execPath, ['scripts/build-if-stale.js']);
    if (built.code !== 0) throw new Error(`build-if-stale failed: ${built.stderr}`);
  });
  afterAll(() => rmSync(marker, { force: true }));

  it('leaves a current dist untouched (a marker file survives, no mtime moves) and is fast', async () => {
    writeFileSync(marker, 'nest build would delete this');
    const before = distFiles();

    const precli = await run(process.execPath, ['scripts/build-if-stale.js']);
    const cli = await run('npm', ['run', '--silent', 'cli', '--', '--help']);

    expect(precli.code).toBe(0);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('sessions:revoke');
    expect(existsSync(marker)).toBe(true);
    expect(distFiles()).toEqual(before);
    process.stdout.write(
      `cli: staleness check ${precli.ms} ms, \`npm run cli -- --help\` ${cli.ms} ms, ` +
        `${before.size} dist files untouched\n`,
    );
    // A nest build takes ~8 s on an idle machine; the check only walks the source tree.
    expect(precli.ms).toBeLessThan(5000);
  });

  it('declares bin "tessera" as the compiled CLI, executable with a node shebang', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
    };
    expect(pkg.bin).toEqual({ tessera: 'dist/src/cli.js' });
    const bin = join(ROOT, pkg.bin?.tessera ?? 'missing');
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(bin).mode & 0o111).not.toBe(0);

    // Run as a program (the shebang picks node from PATH), as npm's bin link would.
    const direct = await run(bin, ['--help']);
    expect(direct.code).toBe(0);
    expect(direct.stdout).toContain('Usage:');
  });
});
