import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MfaModule } from './mfa.module';

/** The module seams the refactor relies on, checked so a later change cannot blur them. */
describe('mfa module boundaries', () => {
  const sources = readdirSync(__dirname)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
    .map((name) => ({ name, text: readFileSync(join(__dirname, name), 'utf8') }));

  it('imports none of the modules built on top of it', () => {
    const offending = sources.flatMap(({ name, text }) =>
      [...text.matchAll(/from '\.\.\/(sessions|auth|admin|audit|alerting|live)\//g)].map(
        (match) => `${name} → ${match[1]}`,
      ),
    );
    expect(offending).toEqual([]);
  });

  it('keeps SQL and TypeORM statements in *.repository.ts files', () => {
    // What a statement needs: a manager, a data source, a TypeORM repository or raw SQL.
    const statements =
      /\.manager\b|DataSource|getRepository|InjectRepository|\.query\(|queryReturning/;
    const outside = sources
      .filter(({ name }) => !name.endsWith('.repository.ts'))
      // UsersService.findById still takes an EntityManager (its API predates the Tx
      // convention); handing it the transaction's manager is a call, not a statement.
      .filter(({ text }) => statements.test(text.replace(/, tx\.manager\)/g, ')')))
      .map(({ name }) => name);
    expect(outside).toEqual([]);
  });

  it('exports services only', () => {
    const exported = (Reflect.getMetadata('exports', MfaModule) as Array<{ name: string }>).map(
      (provider) => provider.name,
    );
    expect(exported.length).toBeGreaterThan(0);
    exported.forEach((name) => expect(name).toMatch(/Service$/));
  });
});
