import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const SCRIPT = join(ROOT, 'scripts', 'client-types.js');

/** Runs `client-types.js --check` against a copy of the client package's committed files. */
function check(packageDir: string): { status: number; output: string } {
  try {
    const output = execFileSync(
      process.execPath,
      [SCRIPT, '--check', '--package-dir', packageDir],
      {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return { status: 0, output };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { status: failed.status, output: `${failed.stdout}${failed.stderr}` };
  }
}

describe('npm run client:types:check (the CI step for drift between the OpenAPI document and @tessera/client)', () => {
  let copy: string;

  beforeAll(() => {
    copy = mkdtempSync(join(tmpdir(), 'tessera-client-copy-'));
    cpSync(join(ROOT, 'packages', 'client', 'openapi.json'), join(copy, 'openapi.json'));
    cpSync(join(ROOT, 'packages', 'client', 'src', 'generated'), join(copy, 'src', 'generated'), {
      recursive: true,
    });
  });
  afterAll(() => rmSync(copy, { recursive: true, force: true }));

  // The passing case is CI's own step (`npm run client:types:check` on the committed files).
  it('fails, naming only the edited file, when the types differ from the document', () => {
    const types = join(copy, 'src', 'generated', 'schema.ts');
    // A hand edit of the kind the check exists for: a response field renamed in the client only.
    const edited = readFileSync(types, 'utf8').replace('csrfToken', 'csrf_token');
    writeFileSync(types, edited);
    const drifted = check(copy);
    expect(drifted.status).toBe(1);
    expect(drifted.output).toContain('src/generated/schema.ts');
    expect(drifted.output).toContain('npm run client:types');
    expect(drifted.output).not.toContain('openapi.json');
  }, 120_000);
});
