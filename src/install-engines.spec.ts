import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The two functions used from semver (installed with npm; it ships no types of its own). */
interface Semver {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
}
const semver = createRequire(__filename)('semver') as Semver;

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

const ROOT = join(__dirname, '..');
const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as T;

/** npm's os/cpu lists: a name allows, a `!name` excludes. */
function allows(list: string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  return list.some((entry) => !entry.startsWith('!')) ? list.includes(value) : true;
}

/** The lock's packages that `npm ci` installs on this platform, with a Node range declared. */
function installedEngines(): Array<{ name: string; node: string }> {
  const lock = readJson<{ packages: Record<string, LockEntry> }>('package-lock.json');
  return Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .filter(([, entry]) => allows(entry.os, process.platform) && allows(entry.cpu, process.arch))
    .flatMap(([path, entry]) => {
      const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      const name = `${path.replace(/^.*node_modules\//, '')}@${entry.version ?? '?'}`;
      return node ? [{ name, node }] : [];
    });
}

/** Packages whose `engines.node` rejects `version` (what `npm ci` reports as EBADENGINE). */
function unsupportedOn(version: string): string[] {
  return installedEngines()
    .filter(({ node }) => !semver.satisfies(version, node))
    .map(({ name, node }) => `${name} wants node ${node}`);
}

describe('install engines: npm ci prints no EBADENGINE', () => {
  const declared = readJson<{ engines: { node: string } }>('package.json').engines.node;

  it('every installed package supports the oldest Node that package.json accepts', () => {
    const oldest = semver.minVersion(declared)?.version;
    expect(oldest).toBeDefined();
    expect(unsupportedOn(oldest ?? '')).toEqual([]);
  });

  it("every installed package supports this machine's Node, when package.json accepts it", () => {
    if (!semver.satisfies(process.version, declared)) {
      throw new Error(`package.json engines (${declared}) reject this Node ${process.version}`);
    }
    expect(unsupportedOn(process.version)).toEqual([]);
  });

  it('notices a package that wants a newer Node (the check can fail)', () => {
    expect(unsupportedOn('18.0.0').length).toBeGreaterThan(0);
  });
});
