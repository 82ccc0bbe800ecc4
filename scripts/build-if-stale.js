#!/usr/bin/env node
// `npm start`, `npm run cli`, `npm run migration:run` and `npm run bench` build only when a source
// is newer than dist: restarts and CLI calls stay fast, and dist is left alone while current, so
// a running server never loses files under it. When a build is needed it overwrites dist in place
// (nest-cli.json: deleteOutDir false) and is serialised with the test suites' build by the same
// lock directory.
// `--after-build` (npm's postbuild) only makes the CLI executable, for package.json's "bin".
const { execFileSync } = require('node:child_process');
const {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const output = join(root, 'dist', 'src', 'main.js');
const cli = join(root, 'dist', 'src', 'cli.js');
const inputs = [
  'src',
  'migrations',
  'bench',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
];
// Shared with test/support/global-setup.ts.
const lock = join(root, 'node_modules', '.cache', 'tessera-build.lock');
const LOCK_TIMEOUT_MS = 180_000;

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (max, entry) => Math.max(max, newest(join(path, entry))),
    stat.mtimeMs,
  );
}

function isStale() {
  const builtAt = existsSync(output) ? statSync(output).mtimeMs : 0;
  return inputs.some((input) => newest(join(root, input)) >= builtAt);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** True when the lock's owner wrote its pid and has since died (a killed build). */
function ownerIsDead() {
  let pid;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return false; // the owner has made the directory but not yet written its pid
  }
  if (!Number.isSafeInteger(pid)) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code !== 'EPERM';
  }
}

/** Takes the build lock (mkdir is atomic); a lock older than the timeout is left by a dead run. */
function withLock(work) {
  mkdirSync(join(lock, '..'), { recursive: true });
  for (const deadline = Date.now() + LOCK_TIMEOUT_MS; ; sleep(200)) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const age = existsSync(lock) ? Date.now() - statSync(lock).mtimeMs : 0;
      if (age > LOCK_TIMEOUT_MS || ownerIsDead() || Date.now() > deadline)
        rmSync(lock, { recursive: true, force: true });
    }
  }
  try {
    work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function makeCliExecutable() {
  if (existsSync(cli)) chmodSync(cli, 0o755);
}

if (process.argv.includes('--after-build')) {
  makeCliExecutable();
} else if (isStale()) {
  withLock(() => {
    // Another process may have built while we waited for the lock.
    if (!isStale()) return;
    execFileSync(
      process.execPath,
      [join(root, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build'],
      { cwd: root, stdio: 'inherit' },
    );
    makeCliExecutable();
  });
}
