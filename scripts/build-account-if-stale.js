#!/usr/bin/env node
// `npm start` (and the account-page e2e suite) build the /account page only when its output is
// missing or older than its sources, as build-if-stale.js does for the server.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const account = join(root, 'packages', 'account');
const output = join(account, 'dist', 'index.html');
const inputs = [
  join(account, 'src'),
  join(account, 'index.html'),
  join(account, 'vite.config.mjs'),
  join(account, 'package.json'),
  join(root, 'packages', 'client', 'src'),
];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (max, entry) => Math.max(max, newest(join(path, entry))),
    stat.mtimeMs,
  );
}

const builtAt = existsSync(output) ? statSync(output).mtimeMs : 0;
if (inputs.some((input) => newest(input) >= builtAt)) {
  execFileSync(join(root, 'node_modules', '.bin', 'vite'), ['build', '--logLevel', 'warn'], {
    cwd: account,
    stdio: 'inherit',
  });
}
