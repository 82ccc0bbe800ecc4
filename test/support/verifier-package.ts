import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './spawn-instance';

/**
 * Builds packages/verifier/dist unless it is newer than every source file: another suite may be
 * loading dist at this moment, and a rebuild rewrites its files in place.
 */
export function buildVerifierPackage(): void {
  const packageDir = join(PROJECT_ROOT, 'packages/verifier');
  const built = join(packageDir, 'dist/index.js');
  const sources = readdirSync(join(packageDir, 'src')).map((name) => join(packageDir, 'src', name));
  const newest = Math.max(
    ...[...sources, join(packageDir, 'tsconfig.build.json')].map((f) => statSync(f).mtimeMs),
  );
  if (existsSync(built) && statSync(built).mtimeMs > newest) return;
  execFileSync(
    process.execPath,
    [
      join(PROJECT_ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      'packages/verifier/tsconfig.build.json',
    ],
    { cwd: PROJECT_ROOT, stdio: 'pipe' },
  );
}
