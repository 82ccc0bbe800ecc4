import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dropStaleTemplates, serverUrl } from './test-database';

const ROOT = resolve(__dirname, '..', '..');
/** What `nest build` compiles (tsconfig.build.json), plus the files that change its output. */
const BUILD_INPUTS = [
  'package.json',
  'src',
  'migrations',
  'bench',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
];
const BUILD_OUTPUT = join(ROOT, 'dist', 'src', 'main.js');
const BUILD_TIMEOUT_MS = 180_000;
/**
 * Held (as a directory: mkdir is atomic) while a build runs. Engineers run test suites side by
 * side in one checkout, and nest build empties dist first: an unserialised second build, or a
 * server spawned mid-build, finds half a dist.
 */
const BUILD_LOCK = join(ROOT, 'node_modules', '.cache', 'tessera-build.lock');

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True while a live build holds the lock. A lock left by a killed run, or too old, is stale. */
function lockHeld(): boolean {
  let ageMs: number;
  try {
    ageMs = Date.now() - statSync(BUILD_LOCK).mtimeMs;
  } catch {
    return false;
  }
  let owner = Number.NaN;
  try {
    owner = Number(readFileSync(join(BUILD_LOCK, 'pid'), 'utf8'));
  } catch {
    // the owner has made the directory but not yet written its pid
  }
  if (ageMs > BUILD_TIMEOUT_MS || (Number.isSafeInteger(owner) && !isAlive(owner))) {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
    return false;
  }
  return true;
}

/** Waits (bounded) until no build holds the lock. */
export function waitWhileBuilding(timeoutMs = BUILD_TIMEOUT_MS): void {
  const deadline = Date.now() + timeoutMs;
  while (lockHeld()) {
    if (Date.now() > deadline) throw new Error(`a build still holds ${BUILD_LOCK}`);
    sleepSync(200);
  }
}

/** dist is current when it is newer than every build input; then building again changes nothing. */
function distIsCurrent(): boolean {
  if (!existsSync(BUILD_OUTPUT)) return false;
  const builtAt = statSync(BUILD_OUTPUT).mtimeMs;
  return BUILD_INPUTS.every((input) => newestMtimeMs(join(ROOT, input)) < builtAt);
}

function newestMtimeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file bumps its directory's mtime
  for (const entry of readdirSync(path))
    newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/**
 * Suites that spawn the real server (`node dist/src/main.js`) or CLI (`node dist/src/cli.js`)
 * need the compiled output. The build is the same one `npm start` and `npm run cli` use
 * (scripts/build-if-stale.js): a no-op while dist is newer than the sources, serialised across
 * concurrent runs by BUILD_LOCK, and it leaves the `tessera` bin executable. Skipped with
 * TESSERA_SKIP_BUILD=1.
 */
function buildOnce(): void {
  if (process.env.TESSERA_SKIP_BUILD === '1' || distIsCurrent()) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-if-stale.js')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 2 * BUILD_TIMEOUT_MS,
    });
  } catch (error) {
    const failure = error as { stdout?: Buffer; stderr?: Buffer; message: string };
    const output = `${failure.stdout?.toString() ?? ''}${failure.stderr?.toString() ?? ''}`.trim();
    throw new Error(
      `nest build failed (set TESSERA_SKIP_BUILD=1 to skip):\n${output || failure.message}`,
      { cause: error },
    );
  }
}

/**
 * Runs once before the e2e workers: one 3072-bit signing key for every test app (generating
 * one per app would cost seconds), passed down through the environment; and the build above.
 * A failed build does not stop the suites that run in-process: it is reported here and handed
 * to the workers as TESSERA_BUILD_ERROR, which spawnInstance throws, so only the suites that
 * need dist fail, each with the compiler's output. With DATABASE_URL, stale template databases
 * of other migrations are dropped (dropStaleTemplates).
 */
export default async function globalSetup(): Promise<void> {
  if (!process.env.TESSERA_TEST_SIGNING_KEY) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    process.env.TESSERA_TEST_SIGNING_KEY = privateKey
      .export({ format: 'pem', type: 'pkcs8' })
      .toString();
  }
  delete process.env.TESSERA_BUILD_ERROR;
  try {
    buildOnce();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\n[global-setup] ${message}\n`);
    process.env.TESSERA_BUILD_ERROR = message;
  }
  await dropStaleTemplatesLogged();
}

/** Housekeeping only: a server that refuses it (no right to drop) does not stop the run. */
async function dropStaleTemplatesLogged(): Promise<void> {
  const server = serverUrl();
  if (!server) return;
  try {
    const dropped = await dropStaleTemplates(server);
    if (dropped.length > 0)
      process.stderr.write(
        `\n[global-setup] dropped stale test templates: ${dropped.join(', ')}\n`,
      );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`\n[global-setup] stale test templates not dropped: ${message}\n`);
  }
}
