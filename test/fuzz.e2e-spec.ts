import type { Test } from 'supertest';
import { login, signedInUser, uniqueEmail } from './support/auth-client';
import { signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * The admin's bearer token. ONE place on purpose: when admins must use a second factor
 * (ADMIN_REQUIRE_MFA), only this helper changes.
 */
async function adminAccessToken(t: TestApp): Promise<string> {
  return (await signedInAdmin(t)).accessToken;
}

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
}

interface Parameter {
  name: string;
  in: 'query' | 'path' | 'header' | 'cookie';
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
  security?: unknown[];
}

interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);
const SEED = 0x7e55e4a;

/** mulberry32: a small fixed-seed PRNG, so a failure replays exactly. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function deep(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { a: value };
  return value;
}

/** Values that have broken parsers, validators and columns before. */
const JUNK_VALUES: unknown[] = [
  null,
  0,
  -1,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  1.5,
  true,
  false,
  '',
  ' ',
  'NaN',
  'Infinity',
  '-0',
  '1e999',
  '99999999999999999999999999999999999999999999999999999999999999999999999999999999',
  '\ud800',
  'a\udc00b',
  '\u0000',
  'x\u0000y',
  '\u202e\u200b',
  'ﷺ'.repeat(20),
  '😀'.repeat(300),
  'x'.repeat(5000),
  'a@b',
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  '../../etc/passwd',
  "'; DROP TABLE users; --",
  '<script>alert(1)</script>',
  { $gt: '' },
  {},
  [],
  ['a', 'b'],
  [null],
  [{}],
  { nested: { deeper: { deepest: [1, { x: null }] } } },
  deep(60, 'x'),
  JSON.parse('{"__proto__":{"admin":true}}') as unknown,
  { constructor: { prototype: { admin: true } } },
];

/** encodeURIComponent throws on an unpaired surrogate: send its (invalid) UTF-8 bytes instead. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

function resolve(schema: Schema | undefined, doc: Document, depth = 0): Schema | undefined {
  if (!schema || depth > 5) return schema;
  if (schema.$ref)
    return resolve(doc.components.schemas[schema.$ref.split('/').pop() ?? ''], doc, depth + 1);
  if (schema.allOf) {
    const parts = schema.allOf.map((part) => resolve(part, doc, depth + 1) ?? {});
    return { type: 'object', properties: Object.assign({}, ...parts.map((p) => p.properties)) };
  }
  return schema;
}

interface FuzzBody {
  /** Raw text sent as is, with the content type. */
  raw?: string;
  json?: unknown;
  contentType: string;
}

/** Junk bodies: whole-body junk, then the operation's own fields filled with junk values. */
function bodies(random: () => number, fields: string[], count: number): FuzzBody[] {
  const out: FuzzBody[] = [
    { raw: 'null', contentType: 'application/json' },
    { raw: '1e999', contentType: 'application/json' },
    { raw: '"\\ud800"', contentType: 'application/json' },
    { raw: '[]', contentType: 'application/json' },
    { raw: '{"a":', contentType: 'application/json' },
    { raw: '{"email":"\\u0000","password":"\\ud800"}', contentType: 'application/json' },
    { raw: '{"__proto__":{"roles":["admin"]}}', contentType: 'application/json' },
    { raw: `${'['.repeat(5000)}${']'.repeat(5000)}`, contentType: 'application/json' },
    { raw: `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`, contentType: 'application/json' },
    { raw: 'x'.repeat(200_000), contentType: 'application/json' },
    { raw: '<a>1</a>', contentType: 'application/xml' },
    { raw: 'hello', contentType: 'text/plain' },
    {
      raw: 'a=1&a=2&b[c]=3&__proto__[x]=1&email[]=x',
      contentType: 'application/x-www-form-urlencoded',
    },
    {
      raw: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
      contentType: 'multipart/form-data; boundary=x',
    },
    { raw: '{"a":1}', contentType: 'application/json; charset=utf-16' },
  ];
  const names = [...fields, 'unknownField', '__proto__', 'constructor'];
  while (out.length < count) {
    const body: Record<string, unknown> = {};
    for (const field of fields) if (random() < 0.7) body[field] = pick(random, JUNK_VALUES);
    if (random() < 0.2) body[pick(random, names)] = pick(random, JUNK_VALUES);
    out.push(
      random() < 0.85
        ? { json: body, contentType: 'application/json' }
        : {
            raw: new URLSearchParams(flatStrings(body)).toString(),
            contentType: 'application/x-www-form-urlencoded',
          },
    );
  }
  return out;
}

function flatStrings(body: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(body).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : (JSON.stringify(value) ?? ''),
    ]),
  );
}

const PATH_VALUES = [
  '00000000-0000-0000-0000-000000000000',
  'not-a-uuid',
  'x'.repeat(300),
  '%00',
  '%F0%9F%98%80',
  '%ED%A0%80',
  '1e999',
  '-1',
  '..%2F..',
  '%25',
];

const QUERY_VALUES = [
  'limit=1&limit=2',
  'limit[]=1',
  'limit[a]=1',
  'limit=1e999',
  'limit=-5',
  'limit=99999999999999999999999',
  'limit=NaN',
  'cursor=%00',
  'cursor=not-base64!!',
  `cursor=${Buffer.from('{"a":1}').toString('base64url')}`,
  `cursor=${Buffer.from('[null,"x"]').toString('base64url')}`,
  `cursor=${Buffer.from('{"t":"9999-99-99","id":"x"}').toString('base64url')}`,
  `cursor=${'A'.repeat(5000)}`,
  'status=%ED%A0%80',
  'from=2026-13-45&to=0',
  'from=1e999',
  'q=%00%01',
  '__proto__[x]=1',
  'constructor[prototype][x]=1',
];

const fakeJwt = (header: unknown, payload: unknown): string =>
  `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;

const HEADER_SETS: Array<Record<string, string>> = [
  { Authorization: `Bearer ${'a'.repeat(8000)}` },
  { Authorization: 'Bearer a.b.c' },
  { Authorization: 'Bearer' },
  { Authorization: 'Basic dXNlcjpwYXNz' },
  { Authorization: `Bearer ${fakeJwt({ alg: 'none', typ: 'at+jwt' }, { sub: 1 })}` },
  { Authorization: `Bearer ${fakeJwt({ alg: 'RS256', typ: 'at+jwt', kid: { x: 1 } }, {})}` },
  { Authorization: `Bearer ${fakeJwt('x', null)}` },
  { Authorization: 'Bearer ÿÿÿ.ÿÿÿ.ÿÿÿ' },
  { 'X-CSRF-Token': 'x'.repeat(4000), 'X-Auth-Mode': 'cookie' },
  {
    'X-Auth-Mode': 'cookie',
    Cookie: `tessera_at=${'a'.repeat(3000)}; tessera_rt=%ED%A0%80; tessera_did=${'d'.repeat(200)}`,
  },
  { 'X-Auth-Mode': 'COOKIE\u00ff' },
  { 'User-Agent': `Mozilla/5.0 (Linux; Android ${'9'.repeat(80)}) Chrome/${'1'.repeat(80)}` },
  { 'User-Agent': 'ÿ'.repeat(2000) },
  { 'X-Forwarded-For': 'not-an-ip, 999.999.999.999, ::ffff:zz' },
  { 'X-Forwarded-For': '1.1.1.1,'.repeat(500) },
  { 'Content-Length': 'abc' },
  { Accept: 'application/xml' },
];

interface Failure {
  request: string;
  status: number;
  body: unknown;
}

describe('fuzzing every route', () => {
  let t: TestApp;
  let doc: Document;
  let userToken: string;
  let userEmail: string;
  let adminToken: string;
  const failures: Failure[] = [];
  let sent = 0;

  beforeAll(async () => {
    t = await createTestApp();
    doc = (await t.http.get('/docs/openapi.json').expect(200)).body as Document;
    const user = await signedInUser(t);
    userToken = user.accessToken;
    userEmail = user.email;
    adminToken = await adminAccessToken(t);
  }, 120_000);
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

  const isStream = (op: Operation): boolean =>
    Object.values(op.responses).some((r) =>
      Object.keys(r.content ?? {}).includes('text/event-stream'),
    );

  async function send(
    method: string,
    url: string,
    op: Operation,
    headers: Record<string, string>,
    body?: FuzzBody,
  ): Promise<void> {
    let req: Test = (t.http as unknown as Record<string, (url: string) => Test>)[method](url);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    if (body) {
      req = req.set('Content-Type', body.contentType);
      req = req.send(body.raw ?? JSON.stringify(body.json));
    }
    const describe = `${method.toUpperCase()} ${url} headers=${JSON.stringify(headers).slice(0, 300)} body=${(body?.raw ?? JSON.stringify(body?.json) ?? '').slice(0, 300)}`;
    sent += 1;
    let status: number;
    let resBody: unknown;
    try {
      const res = await req.timeout({ response: 10_000 });
      status = res.status;
      resBody = res.body;
    } catch (error) {
      const res = (error as { response?: { status: number; body: unknown } }).response;
      if (!res) {
        failures.push({ request: describe, status: 0, body: String(error) });
        return;
      }
      status = res.status;
      resBody = res.body;
    }
    const documented = Object.keys(op.responses).includes(String(status));
    if (status >= 500 || (status < 400 && !documented)) {
      failures.push({ request: describe, status, body: resBody });
    }
  }

  /** Keeps the user's token live: a fuzzed DELETE /sessions or logout may end its session. */
  async function freshUserToken(): Promise<void> {
    const me = await t.http.get('/auth/me').set('Authorization', `Bearer ${userToken}`);
    if (me.status === 200) return;
    userToken = (await login(t, userEmail)).accessToken;
  }

  it('POST /auth/register: the reviewer’s junk bodies are 400 validation_failed', async () => {
    const cases: unknown[] = [
      { email: null, password: null },
      { email: 1e308, password: -1e308 },
      { email: 'a\ud800@example.com', password: 'correct horse battery staple' },
      { email: uniqueEmail(), password: 'pw\ud800 long enough to pass' },
      { email: uniqueEmail(), password: 'nul\u0000 long enough to pass' },
      { email: { nested: { deeper: 'x' } }, password: { a: 1 } },
      { email: ['a@example.com'], password: ['x'] },
      { email: uniqueEmail(), password: 'correct horse battery staple', displayName: ['x'] },
      { constructor: { prototype: { roles: ['admin'] } } },
    ];
    for (const body of cases) {
      const res = await t.http.post('/auth/register').send(body as object);
      expect({ body, status: res.status, code: res.body.code }).toEqual({
        body,
        status: 400,
        code: 'validation_failed',
      });
    }
  });

  it('answers junk with 4xx (or a documented 2xx), never 5xx', async () => {
    const random = prng(SEED);
    for (const { path, method, op } of operations()) {
      const auths: Array<Record<string, string>> = [{}];
      if (!isStream(op)) {
        auths.push({ Authorization: `Bearer ${userToken}` });
        if (path.startsWith('/admin')) auths.push({ Authorization: `Bearer ${adminToken}` });
      }
      const schema = resolve(Object.values(op.requestBody?.content ?? {})[0]?.schema, doc);
      const fields = Object.keys(schema?.properties ?? {});
      const queryNames = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      for (const auth of auths) {
        const batch: Array<() => Promise<void>> = [];
        const urlFor = (): string => {
          const concrete = path.replace(/\{[^}]+\}/g, () => pick(random, PATH_VALUES));
          const junkQuery = [pick(random, QUERY_VALUES)];
          for (const name of queryNames) {
            if (random() < 0.5)
              junkQuery.push(`${name}=${encode(String(pick(random, JUNK_VALUES)))}`);
            if (random() < 0.2) junkQuery.push(`${name}[]=1&${name}=2`);
          }
          return `${concrete}?${junkQuery.join('&')}`;
        };
        const withBody = method !== 'get' && method !== 'delete';
        for (const body of withBody ? bodies(random, fields, 24) : []) {
          batch.push(() => send(method, urlFor(), op, auth, body));
        }
        for (let i = 0; i < 8; i += 1) batch.push(() => send(method, urlFor(), op, auth));
        for (const extra of HEADER_SETS) {
          const headers = auth.Authorization && extra.Authorization ? extra : { ...auth, ...extra };
          batch.push(() =>
            send(
              method,
              urlFor(),
              op,
              headers,
              withBody ? { json: {}, contentType: 'application/json' } : undefined,
            ),
          );
        }
        // A few at a time: enough to overlap I/O without starving the shared machine.
        for (let i = 0; i < batch.length; i += 8)
          await Promise.all(batch.slice(i, i + 8).map((run) => run()));
        await freshUserToken();
      }
    }
    expect(sent).toBeGreaterThan(2000);
    expect(failures.slice(0, 15)).toEqual([]);
  }, 300_000);
});
