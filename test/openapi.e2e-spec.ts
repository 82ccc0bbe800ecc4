import { execFile } from 'node:child_process';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { TransactionRunner } from '../src/events/transaction-runner.service';
import { UsersService } from '../src/users/users.service';
import { bearer, login, register, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

/** Grants made outside any request are audited with this actor (as the operator CLI's are). */
const OPERATOR_ID = '00000000-0000-0000-0000-000000000000';

type Schema = Record<string, unknown>;
interface Operation {
  summary?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Document {
  openapi: string;
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options']);

/**
 * @apidevtools/swagger-parser pulls in ESM-only dependencies that Jest's module system cannot
 * load on Node 20, so the validator runs in a plain Node process (which can), reading the
 * document from stdin. Resolves with the validator's error message, or null when valid.
 */
function validateWithSwaggerParser(document: unknown): Promise<string | null> {
  const script = `
    let text = '';
    process.stdin.on('data', (chunk) => (text += chunk));
    process.stdin.on('end', () => {
      require('@apidevtools/swagger-parser')
        .validate(JSON.parse(text))
        .then(() => process.stdout.write('valid'), (error) => process.stdout.write(String(error.message)));
    });`;
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      ['-e', script],
      { cwd: __dirname },
      (error, stdout) => {
        if (error) reject(new Error(`the validator process failed: ${error.message}`));
        else resolve(stdout === 'valid' ? null : stdout);
      },
    );
    child.stdin?.end(JSON.stringify(document));
  });
}

/** Inlines the document's local component references (all this document uses). */
function dereference(value: unknown, doc: Document): unknown {
  if (Array.isArray(value)) return value.map((item) => dereference(item, doc));
  if (typeof value !== 'object' || value === null) return value;
  const ref = (value as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    return dereference(doc.components.schemas[ref.replace('#/components/schemas/', '')], doc);
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, dereference(item, doc)]),
  );
}

describe('OpenAPI document and Swagger UI', () => {
  let t: TestApp;
  let doc: Document;
  let adminToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http.get('/docs/openapi.json').expect(200)).body as Document;
    const email = uniqueEmail('docs-admin');
    const { id } = await register(t, email);
    await t.app
      .get(TransactionRunner)
      .run((tx) => t.app.get(UsersService).setRoles(tx, id, ['admin'], OPERATOR_ID));
    adminToken = (await login(t, email)).accessToken;
  });
  afterAll(async () => {
    await t.close();
  });

  function operations(): Array<{ path: string; method: string; op: Operation }> {
    return Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => METHODS.has(method))
        .map(([method, op]) => ({ path, method, op })),
    );
  }

  /** Validates a real response body against the document's own schema for it. */
  function expectMatchesSchema(body: unknown, schema: Schema): void {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const target = dereference(schema, doc) as Schema;
    const validate = ajv.compile(closed(target));
    const ok = validate(body);
    expect({ ok, errors: validate.errors ?? null }).toEqual({ ok: true, errors: null });
  }

  /** No undocumented fields either: every object schema with properties becomes closed. */
  function closed(schema: Schema): Schema {
    const copy: Schema = {};
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'example' || key === 'examples') copy[key] = value;
      else if (Array.isArray(value))
        copy[key] = value.map((item) => (isSchema(item) ? closed(item) : item));
      else copy[key] = isSchema(value) ? closed(value) : value;
    }
    if (copy.properties && copy.additionalProperties === undefined)
      copy.additionalProperties = false;
    return copy;
  }
  const isSchema = (value: unknown): value is Schema => typeof value === 'object' && value !== null;

  it('passes the OpenAPI validator', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(validateWithSwaggerParser(doc)).resolves.toBeNull();
  });

  it('renders the Swagger UI at /docs, with its assets', async () => {
    const page = await t.http.get('/docs').redirects(1).expect(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('swagger-ui');
    const assets = [...page.text.matchAll(/(?:src|href)="\.?\/?([^"]+\.(?:js|css))"/g)].map(
      (m) => m[1],
    );
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const url = asset.startsWith('/') ? asset : `/docs/${asset.replace(/^docs\//, '')}`;
      await t.http.get(url).expect(200);
    }
  });

  it('gives every operation a summary and one of the documented tags', () => {
    const tags = new Set(doc.tags.map((tag) => tag.name));
    expect([...tags].sort()).toEqual(['admin', 'auth', 'devices', 'me', 'operations', 'sessions']);
    const untidy = operations()
      .filter(({ op }) => !op.summary || !(op.tags ?? []).some((tag) => tags.has(tag)))
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(untidy).toEqual([]);
  });

  it('documents each admin route: security, problem+json errors and a typed success body', () => {
    const admin = operations().filter(
      ({ path }) => path.startsWith('/admin/users') || path.startsWith('/admin/sessions'),
    );
    expect(admin).toHaveLength(7);
    for (const { path, method, op } of admin) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, tags: op.tags }).toEqual({ where, tags: ['admin'] });
      expect({ where, security: op.security }).toEqual({
        where,
        security: expect.arrayContaining([{ bearer: [] }, { cookie: [] }]),
      });
      for (const status of ['401', '403']) {
        const problem = op.responses[status]?.content?.['application/problem+json']?.schema;
        expect({ where, status, problem: JSON.stringify(problem) }).toEqual({
          where,
          status,
          problem: expect.stringContaining('#/components/schemas/ProblemDetails'),
        });
      }
      const success = Object.keys(op.responses).find((status) => status.startsWith('2'));
      expect({ where, success }).toEqual({ where, success: expect.any(String) });
      // 204 has no body; every other success names its response DTO.
      const ref = String(op.responses[success!].content?.['application/json']?.schema?.$ref);
      const documented = success === '204' || /^#\/components\/schemas\/\w+Dto$/.test(ref);
      expect({ where, success, ref, documented }).toEqual({
        where,
        success,
        ref,
        documented: true,
      });
    }
  });

  it('describes real responses: problem details and the admin bodies match their schemas', async () => {
    const notFound = await t.http
      .get('/admin/users/00000000-0000-4000-8000-000000000000')
      .set(...bearer(adminToken))
      .expect(404);
    expectMatchesSchema(notFound.body, { $ref: '#/components/schemas/ProblemDetails' });
    const invalid = await t.http
      .get('/admin/sessions?limit=0')
      .set(...bearer(adminToken))
      .expect(400);
    expectMatchesSchema(invalid.body, { $ref: '#/components/schemas/ProblemDetails' });

    const checks: Array<[string, string]> = [
      ['/admin/users?limit=5', 'AdminUserPageDto'],
      ['/admin/sessions?limit=5', 'AdminSessionPageDto'],
      ['/admin/sessions/stats', 'SessionStatsDto'],
    ];
    for (const [url, schema] of checks) {
      const res = await t.http
        .get(url)
        .set(...bearer(adminToken))
        .expect(200);
      expect(JSON.stringify(res.body)).not.toBe('{}');
      expectMatchesSchema(res.body, { $ref: `#/components/schemas/${schema}` });
    }
  });
});
