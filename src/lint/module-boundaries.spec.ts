import { ESLint } from 'eslint';
import { join } from 'node:path';

/**
 * Proves the module-map lint rule (eslint.boundaries.mjs) can fail: a wrong import is reported,
 * an allowed one is not. Linted with the boundaries config alone (eslint.boundaries.mjs's default
 * export, no type information), so the virtual files need not exist.
 */
const ROOT = join(__dirname, '..', '..');

function makeSut(): ESLint {
  return new ESLint({ cwd: ROOT, overrideConfigFile: join(ROOT, 'eslint.boundaries.mjs') });
}

const importOf = (what: string, from: string): string =>
  `import type { ${what} } from '${from}';\nexport type Probe = ${what};\n`;

async function boundaryErrors(sut: ESLint, file: string, code: string): Promise<string[]> {
  const [result] = await sut.lintText(code, { filePath: join(ROOT, file) });
  return result.messages
    .filter((message) => message.ruleId === 'boundaries/dependencies')
    .map((message) => message.message);
}

describe('module boundaries lint rule', () => {
  let sut: ESLint;

  beforeAll(() => {
    sut = makeSut();
  });

  it('reports users importing sessions (an arrow pointing backwards)', async () => {
    const errors = await boundaryErrors(
      sut,
      'src/users/probe.ts',
      importOf('SessionsService', '../sessions/sessions.service'),
    );
    expect(errors).toEqual([expect.stringContaining('users must not import')]);
  });

  it('reports a feature module importing audit', async () => {
    const errors = await boundaryErrors(
      sut,
      'src/auth/tokens/probe.ts',
      importOf('AuditService', '../../audit/audit.service'),
    );
    expect(errors).toEqual([expect.stringContaining('audit or alerting')]);
  });

  it('reports common importing a feature module', async () => {
    const errors = await boundaryErrors(
      sut,
      'src/common/probe.ts',
      importOf('UsersService', '../users/users.service'),
    );
    expect(errors).toEqual([expect.stringContaining('common must not import')]);
  });

  it('accepts an import along an allowed arrow (devices uses users)', async () => {
    const errors = await boundaryErrors(
      sut,
      'src/devices/probe.ts',
      importOf('UsersService', '../users/users.service'),
    );
    expect(errors).toEqual([]);
  });

  it('accepts the composition root importing audit', async () => {
    const errors = await boundaryErrors(
      sut,
      'src/app.module.ts',
      importOf('AuditModule', './audit/audit.module'),
    );
    expect(errors).toEqual([]);
  });
});
