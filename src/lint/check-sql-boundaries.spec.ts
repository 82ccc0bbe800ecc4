import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Runs scripts/check-sql-boundaries.js on a throwaway tree, so the check is shown to fail. */
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'check-sql-boundaries.js');
// Assembled at run time: written out literally, the fixtures would make this spec itself fail
// the check it tests.
const QUERY = ['que', 'ry('].join('');
const BUILDER = ['create', 'QueryBuilder'].join('');

function makeTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'check-sql-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function sut(root: string): { status: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [SCRIPT, root], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('check-sql-boundaries', () => {
  const roots: string[] = [];
  const tree = (files: Record<string, string>): string => {
    const root = makeTree(files);
    roots.push(root);
    return root;
  };

  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('fails and names file:line when a service issues SQL', () => {
    const root = tree({
      'src/users/users.service.ts': `const a = 1;\nawait this.dataSource.${QUERY}'SELECT 1');\n`,
      'src/users/user.repository.ts': `await this.dataSource.${QUERY}'SELECT 1');\n`,
    });
    const result = sut(root);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('src/users/users.service.ts:2');
    expect(result.stderr).not.toContain('user.repository.ts');
  });

  it('fails on a query builder outside a repository', () => {
    const root = tree({
      'src/alerting/alerts.service.ts': `repo.${BUILDER}('a').getMany();\n`,
    });
    expect(sut(root).status).toBe(1);
  });

  it('passes when SQL lives only in repositories, migrations and src/database', () => {
    const root = tree({
      'src/sessions/session.repository.ts': `await tx.manager.${QUERY}'SELECT 1');\n`,
      'src/database/migration-runner.ts': `await runner.${QUERY}'SELECT 1');\n`,
      'src/migrations/1-init.ts': `await queryRunner.${QUERY}'CREATE TABLE t ()');\n`,
      'src/sessions/sessions.service.ts': 'export const searchQuery = 1;\n',
    });
    const result = sut(root);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
