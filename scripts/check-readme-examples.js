#!/usr/bin/env node
/**
 * The README's TypeScript snippets must compile. Each ```ts block in the README is preceded by
 * `<!-- example: <file> -->`, naming a file under examples/ that `npm run typecheck` compiles
 * under the project's strict tsconfig; this check fails when a block is unmarked or no longer
 * appears verbatim (indentation aside) in its file.
 *
 *   node scripts/check-readme-examples.js [README path]   exit 0: all match; 1: lists the gaps
 */
const { existsSync, readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const root = resolve(__dirname, '..');
const readmePath = resolve(process.argv[2] ?? join(root, 'README.md'));
const lines = readFileSync(readmePath, 'utf8').split('\n');

/** The block's lines without the indentation they share (README list items indent code). */
function dedent(block) {
  const indents = block.filter((l) => l.trim()).map((l) => l.match(/^ */)[0].length);
  const cut = Math.min(...indents);
  return block.map((l) => l.slice(cut)).join('\n');
}

function trimmedLines(text) {
  return text
    .split('\n')
    .map((l) => l.trimStart())
    .join('\n');
}

const problems = [];
let checked = 0;
for (let i = 0; i < lines.length; i += 1) {
  if (!/^\s*```ts\s*$/.test(lines[i])) continue;
  const start = i + 1;
  let end = start;
  while (end < lines.length && !/^\s*```\s*$/.test(lines[end])) end += 1;
  let before = i - 1; // formatters may put a blank line between the marker and the fence
  while (before > 0 && !lines[before].trim()) before -= 1;
  const marker = (lines[before] ?? '').match(/<!--\s*example:\s*(\S+)\s*-->/);
  const where = `README line ${i + 1}`;
  i = end;
  if (!marker) {
    problems.push(`${where}: a ts block without <!-- example: examples/… --> before it`);
    continue;
  }
  const file = join(root, marker[1]);
  if (!marker[1].startsWith('examples/') || !existsSync(file)) {
    problems.push(`${where}: ${marker[1]} is not a file under examples/`);
    continue;
  }
  checked += 1;
  // Compared line by line without leading indentation: a snippet may sit inside a function.
  const snippet = trimmedLines(dedent(lines.slice(start, end)));
  if (!trimmedLines(readFileSync(file, 'utf8')).includes(snippet))
    problems.push(`${where}: the block differs from ${marker[1]}`);
}

if (problems.length > 0) {
  process.stderr.write(`README examples out of date:\n  ${problems.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write(`README examples: ${checked} blocks match their compiled files\n`);
