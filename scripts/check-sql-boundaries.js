#!/usr/bin/env node
// Fails (exit 1, naming file:line) when SQL is issued outside a repository. Every statement on
// a table lives in its owner's *.repository.ts; migrations and src/database/ (data source,
// migration runner) are the only other places allowed to talk SQL.
// Usage: node scripts/check-sql-boundaries.js [root]   (root defaults to the repository root)
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
const srcDir = path.join(root, 'src');
const SQL_CALL = /\bquery\s*[<(]|createQueryBuilder/;

function isExempt(relative) {
  const posix = relative.split(path.sep).join('/');
  return (
    posix.endsWith('.repository.ts') ||
    posix.startsWith('database/') ||
    posix.split('/').includes('migrations')
  );
}

function* sourceFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (entry.name.endsWith('.ts')) yield full;
  }
}

const offences = [];
if (fs.existsSync(srcDir)) {
  for (const file of sourceFiles(srcDir)) {
    if (isExempt(path.relative(srcDir, file))) continue;
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, index) => {
      const code = line.replace(/\/\/.*$/, '');
      if (SQL_CALL.test(code))
        offences.push(`${path.relative(root, file)}:${index + 1}: ${line.trim()}`);
    });
  }
}

if (offences.length > 0) {
  console.error("SQL outside a repository (move it into the owning module's *.repository.ts):");
  for (const offence of offences) console.error(`  ${offence}`);
  process.exit(1);
}
console.log('check:sql: no SQL outside repositories');
