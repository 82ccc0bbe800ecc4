#!/usr/bin/env node
// `npm start` builds only when a source is newer than dist: restarts stay fast, and a second
// instance started beside a running one does not empty dist under it (nest build deletes it).
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const output = join(root, 'dist', 'src', 'main.js');
const inputs = [
  'src',
  'migrations',
  'bench',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
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
if (inputs.some((input) => newest(join(root, input)) >= builtAt)) {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js'), 'build'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
