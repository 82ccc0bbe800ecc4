#!/usr/bin/env node
/**
 * Checks the built package as a consumer sees it (run after `npm run build`): the files that
 * package.json's `main`, `types` and `exports` name exist; `require('@tessera/client')` and
 * `import('@tessera/client')` load dist (not src) and give a working client; TypeScript resolves
 * the package's types for CommonJS and ESM importers.
 *
 *   node packages/client/scripts/check-dist.js   exit 0: all resolve; 1: lists what does not
 */
const { existsSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');
const ts = require('typescript');

const packageDir = resolve(__dirname, '..');
const repoRoot = resolve(packageDir, '..', '..');
const manifest = require(join(packageDir, 'package.json'));
const problems = [];

function expectFile(label, path) {
  if (!path) problems.push(`${label} is not set in package.json`);
  else if (!existsSync(join(packageDir, path))) problems.push(`${label} names ${path}: missing`);
}

function expectDist(label, file) {
  const where = relative(packageDir, file ?? '');
  if (!where.startsWith('dist')) problems.push(`${label} resolved to ${where || 'nothing'}`);
}

/** A client built from the entry must have the documented surface. */
function expectWorkingEntry(label, entry) {
  for (const name of ['createTesseraClient', 'TesseraError', 'memoryStorage']) {
    if (typeof entry[name] !== 'function') problems.push(`${label}: ${name} is not exported`);
  }
  if (typeof entry.createTesseraClient !== 'function') return;
  const client = entry.createTesseraClient({
    baseUrl: 'https://auth.example.com',
    transport: 'header',
  });
  const members = ['login', 'verifyMfa', 'logout', 'logoutAll', 'me', 'request', 'on', 'close'];
  for (const name of members) {
    if (!client[name]) problems.push(`${label}: the client has no ${name}`);
  }
  client.close();
}

function expectTypes(label, containingFile) {
  const options = {
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
  };
  const { resolvedModule } = ts.resolveModuleName(
    '@tessera/client',
    containingFile,
    options,
    ts.sys,
  );
  if (!resolvedModule?.resolvedFileName.endsWith('.d.ts')) {
    problems.push(
      `${label}: TypeScript finds no declarations (${resolvedModule?.resolvedFileName})`,
    );
  } else expectDist(label, resolvedModule.resolvedFileName);
}

async function main() {
  expectFile('main', manifest.main);
  expectFile('types', manifest.types);
  expectFile('exports["."].types', manifest.exports?.['.']?.types);
  expectFile('exports["."].default', manifest.exports?.['.']?.default);
  if (problems.length === 0) {
    const fromRoot = require.resolve('@tessera/client', { paths: [repoRoot] });
    expectDist('require.resolve("@tessera/client")', fromRoot);
    expectWorkingEntry('require', require(fromRoot));
    // By name, through package.json `exports`, as an ESM consumer imports it.
    expectWorkingEntry('import', await import('@tessera/client'));
    expectTypes('types for a CommonJS importer', join(repoRoot, 'consumer.cts'));
    expectTypes('types for an ESM importer', join(repoRoot, 'consumer.mts'));
  }
  if (problems.length > 0) {
    console.error(`@tessera/client dist does not resolve:\n  ${problems.join('\n  ')}`);
    console.error('Build it first: npm run build -w @tessera/client');
    process.exit(1);
  }
  console.log('@tessera/client dist: main, types and exports resolve; require and import work');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
