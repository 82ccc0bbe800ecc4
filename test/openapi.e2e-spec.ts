import { execFile } from 'node:child_process';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { bearer, login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  example?: unknown;
  examples?: unknown;
  schema?: Schema;
}
interface Operation {
  operationId?: string;
  summary?: string;
  parameters?: Parameter[];
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Document {
  openapi: string;
  tags: Array<{ name: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, Schema> };
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options']);

const PROBLEM = 'application/problem+json';

/** Routes open without signing in: documented without security requirements. */
const PUBLIC_ROUTES = new Set([
  'POST /auth/register',
  'POST /auth/login',
  'POST /auth/refresh',
  'POST /auth/password/forgot',
  'POST /auth/password/reset',
  'POST /auth/mfa/verify',
  'POST /auth/passkeys/options',
  'POST /auth/passkeys/verify',
  'GET /health/live',
  'GET /health/ready',
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-authorization-server',
  'GET /.well-known/ssf-configuration',
  'GET /metrics',
  'POST /oauth/token',
  'POST /oauth/revoke',
]);

/** Routes that take a service credential instead of a user's token: route → security scheme. */
const SERVICE_ROUTES = new Map([
  ['GET /oauth/revocations', 'revocationFeed,serviceToken,serviceClient'],
  // A service client (token or Basic), or (deprecated) an admin's access token.
  ['POST /oauth/introspect', 'bearer,serviceToken,serviceClient'],
  // Shared Signals stream management and poll: a service client with the ssf:stream scope.
  ...[
    'POST /ssf/streams',
    'GET /ssf/streams',
    'PATCH /ssf/streams',
    'PUT /ssf/streams',
    'DELETE /ssf/streams',
    'GET /ssf/streams/status',
    'POST /ssf/streams/status',
    'POST /ssf/streams/verify',
    'POST /ssf/subjects/add',
    'POST /ssf/subjects/remove',
    'POST /ssf/poll/{streamId}',
  ].map((route): [string, string] => [route, 'serviceToken,serviceClient']),
]);

/** Successes with an empty body that are not 204 (their status is part of a standard). */
const EMPTY_SUCCESS = new Set([
  'POST /auth/password/forgot 202',
  'POST /admin/users/{id}/password-reset 202',
  'POST /oauth/revoke 200',
  // SSF 1.0 §8.1.3.2: an empty 200 OK.
  'POST /ssf/subjects/add 200',
]);

/**
 * JSON successes whose shape a standard fixes as one of several classes: SSF 1.0 §8.1.1.2
 * answers one stream with stream_id and an array of streams without it.
 */
const ONE_OF_SUCCESS = new Set(['GET /ssf/streams 200']);

/** Every route of the REST contract, each of which must be in the document. */
const CONTRACT_ROUTES = [
  'POST /auth/register',
  'POST /auth/login',
  'POST /auth/refresh',
  'POST /auth/logout',
  'POST /auth/logout-all',
  'GET /auth/me',
  'GET /auth/verify',
  'GET /auth/csrf',
  'POST /auth/password/change',
  'POST /auth/password/forgot',
  'POST /auth/password/reset',
  'POST /auth/mfa/verify',
  'POST /auth/passkeys/options',
  'POST /auth/passkeys/verify',
  'POST /auth/reauth',
  'GET /me/mfa',
  'POST /me/mfa/totp',
  'POST /me/mfa/totp/confirm',
  'DELETE /me/mfa/totp',
  'POST /me/mfa/recovery-codes',
  'GET /sessions',
  'DELETE /sessions/{id}',
  'DELETE /sessions',
  'GET /sessions/events',
  'GET /devices',
  'PATCH /devices/{id}',
  'POST /devices/{id}/trust',
  'DELETE /devices/{id}/trust',
  'DELETE /devices/{id}',
  'GET /me/activity',
  'GET /me/alerts',
  'GET /admin/users',
  'GET /admin/users/{id}',
  'PATCH /admin/users/{id}',
  'GET /admin/sessions',
  'GET /admin/sessions/stats',
  'DELETE /admin/sessions/{id}',
  'POST /admin/users/{id}/sessions/revoke',
  'GET /admin/audit',
  'GET /admin/audit/verify',
  'GET /admin/alerts',
  'PATCH /admin/alerts/{id}',
  'GET /admin/webhooks',
  'POST /admin/webhooks',
  'DELETE /admin/webhooks/{id}',
  'GET /admin/service-clients',
  'POST /admin/service-clients',
  'DELETE /admin/service-clients/{clientId}',
  'GET /.well-known/jwks.json',
  'GET /.well-known/oauth-authorization-server',
  'POST /oauth/token',
  'POST /oauth/revoke',
  'POST /oauth/introspect',
  'GET /health/live',
  'GET /health/ready',
  'GET /metrics',
];

/**
 * Generated clients name their functions after these: a change here breaks every client, so it
 * must be deliberate. New routes only need to follow the pattern (checked below).
 */
const STABLE_OPERATION_IDS: Record<string, string> = {
  'POST /auth/register': 'auth_register',
  'POST /auth/login': 'auth_login',
  'POST /auth/refresh': 'auth_refresh',
  'POST /auth/logout': 'auth_logout',
  'POST /auth/logout-all': 'auth_logout_all',
  'GET /auth/me': 'auth_me',
  'POST /auth/password/change': 'auth_change_password',
  'POST /auth/password/forgot': 'auth_forgot_password',
  'POST /auth/password/reset': 'auth_reset_password',
  'POST /auth/mfa/verify': 'auth_verify_mfa',
  'POST /auth/passkeys/options': 'auth_passkey_options',
  'POST /auth/passkeys/verify': 'auth_verify_passkey',
  'POST /auth/reauth': 'auth_reauth',
  'GET /me/mfa': 'me_mfa_status',
  'POST /me/mfa/totp': 'me_mfa_begin_totp',
  'POST /me/mfa/totp/confirm': 'me_mfa_confirm_totp',
  'DELETE /me/mfa/totp': 'me_mfa_disable_totp',
  'POST /me/mfa/recovery-codes': 'me_mfa_regenerate_recovery_codes',
  'GET /me/passkeys': 'me_passkeys_list',
  'POST /me/passkeys/options': 'me_passkeys_options',
  'POST /me/passkeys': 'me_passkeys_register',
  'PATCH /me/passkeys/{id}': 'me_passkeys_rename',
  'DELETE /me/passkeys/{id}': 'me_passkeys_remove',
  'GET /sessions': 'sessions_list',
  'DELETE /sessions/{id}': 'sessions_revoke_one',
  'DELETE /sessions': 'sessions_revoke_others',
  'GET /sessions/events': 'sessions_stream',
  'GET /devices': 'devices_list',
  'PATCH /devices/{id}': 'devices_rename',
  'POST /devices/{id}/trust': 'devices_trust',
  'DELETE /devices/{id}/trust': 'devices_untrust',
  'DELETE /devices/{id}': 'devices_forget',
  'GET /me/activity': 'me_activity',
  'GET /me/alerts': 'me_alerts',
  'GET /admin/users': 'admin_users_list',
  'POST /admin/users': 'admin_users_create',
  'POST /admin/users/{id}/password-reset': 'admin_users_send_password_reset',
  'GET /admin/users/{id}/devices': 'admin_users_devices',
  'GET /admin/webhooks/{id}/deliveries': 'admin_webhooks_deliveries',
  'GET /admin/users/{id}': 'admin_users_detail',
  'PATCH /admin/users/{id}': 'admin_users_update',
  'DELETE /admin/users/{id}/mfa': 'admin_users_reset_mfa',
  'POST /admin/users/{id}/sessions/revoke': 'admin_users_revoke_all',
  'GET /admin/sessions': 'admin_sessions_list',
  'GET /admin/sessions/stats': 'admin_sessions_stats',
  'DELETE /admin/sessions/{id}': 'admin_sessions_revoke',
  'GET /admin/audit': 'admin_audit_list',
  'GET /admin/audit/verify': 'admin_audit_verify',
  'GET /admin/alerts': 'admin_alerts_list',
  'PATCH /admin/alerts/{id}': 'admin_alerts_update',
  'GET /admin/webhooks': 'admin_webhooks_list',
  'POST /admin/webhooks': 'admin_webhooks_create',
  'DELETE /admin/webhooks/{id}': 'admin_webhooks_remove',
  'GET /admin/service-clients': 'admin_service_clients_list',
  'POST /admin/service-clients': 'admin_service_clients_create',
  'DELETE /admin/service-clients/{clientId}': 'admin_service_clients_remove',
  'GET /.well-known/jwks.json': 'well_known_jwks',
  'GET /.well-known/oauth-authorization-server': 'well_known_metadata',
  'GET /.well-known/ssf-configuration': 'well_known_ssf_configuration',
  'POST /ssf/streams': 'ssf_create_stream',
  'GET /ssf/streams': 'ssf_read_streams',
  'PATCH /ssf/streams': 'ssf_update_stream',
  'PUT /ssf/streams': 'ssf_replace_stream',
  'DELETE /ssf/streams': 'ssf_delete_stream',
  'GET /ssf/streams/status': 'ssf_stream_status',
  'POST /ssf/streams/status': 'ssf_set_stream_status',
  'POST /ssf/streams/verify': 'ssf_verify_stream',
  'POST /ssf/subjects/add': 'ssf_add_subject',
  'POST /ssf/subjects/remove': 'ssf_remove_subject',
  'POST /ssf/poll/{streamId}': 'ssf_poll',
  'POST /oauth/token': 'oauth_token',
  'POST /oauth/revoke': 'oauth_revoke',
  'POST /oauth/introspect': 'oauth_introspect',
  'GET /health/live': 'health_live',
  'GET /health/ready': 'health_ready',
  'GET /metrics': 'metrics_scrape',
  'GET /auth/verify': 'auth_verify',
  'GET /auth/csrf': 'auth_csrf_token',
};

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
    adminToken = (await signedInAdmin(t, uniqueEmail('docs-admin'))).accessToken;
  }, ADMIN_SETUP_TIMEOUT_MS);
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
    const validate = ajv.compile(closed(mergeAllOf(target)));
    const ok = validate(body);
    expect({ ok, errors: validate.errors ?? null }).toEqual({ ok: true, errors: null });
  }

  /**
   * Merges an allOf of object schemas (a class refined by another, as the problem responses
   * are) into one object schema, so that closing it below does not reject the fields that the
   * other member documents. A property several members describe must satisfy each description.
   */
  function mergeAllOf(schema: Schema): Schema {
    const copy: Schema = {};
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'example' || key === 'examples') copy[key] = value;
      else if (Array.isArray(value))
        copy[key] = value.map((item) => (isSchema(item) ? mergeAllOf(item) : item));
      else copy[key] = isSchema(value) ? mergeAllOf(value) : value;
    }
    const members = copy.allOf as Schema[] | undefined;
    if (!members?.every((member) => isSchema(member.properties))) return copy;
    const properties: Record<string, Schema[]> = {};
    const required = new Set<string>();
    for (const member of members) {
      for (const [name, property] of Object.entries(member.properties as Record<string, Schema>))
        (properties[name] ??= []).push(property);
      for (const name of (member.required as string[] | undefined) ?? []) required.add(name);
    }
    const { allOf: _members, ...rest } = copy;
    return {
      ...rest,
      type: 'object',
      properties: Object.fromEntries(
        Object.entries(properties).map(([name, all]) => [
          name,
          all.length === 1 ? all[0] : { allOf: all },
        ]),
      ),
      required: [...required],
    };
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
    expect(admin).toHaveLength(11);
    for (const { path, method, op } of admin) {
      const where = `${method.toUpperCase()} ${path}`;
      expect({ where, tags: op.tags }).toEqual({ where, tags: ['admin'] });
      expect({ where, security: op.security }).toEqual({
        where,
        security: [{ bearer: [] }],
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
      const documented =
        success === '204' ||
        EMPTY_SUCCESS.has(`${where} ${success}`) ||
        /^#\/components\/schemas\/\w+Dto$/.test(ref);
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
  it('gives every operation a stable snake_case operationId, unique across the document', () => {
    const ids = operations().map(({ method, path, op }) => ({
      route: `${method.toUpperCase()} ${path}`,
      id: op.operationId,
    }));
    const badlyNamed = ids.filter(({ id }) => !/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(id ?? ''));
    expect(badlyNamed).toEqual([]);
    expect(new Set(ids.map(({ id }) => id)).size).toBe(ids.length);
    const byRoute = Object.fromEntries(ids.map(({ route, id }) => [route, id]));
    const pinned = Object.fromEntries(
      Object.keys(STABLE_OPERATION_IDS).map((route) => [route, byRoute[route]]),
    );
    expect(pinned).toEqual(STABLE_OPERATION_IDS);
  });

  it('offers in Authorize only schemes a browser page can use (bearer tokens, Basic, no cookie scheme)', () => {
    const schemes = doc.components.securitySchemes ?? {};
    expect(Object.keys(schemes).sort()).toEqual([
      'bearer',
      'revocationFeed',
      'serviceClient',
      'serviceToken',
    ]);
    expect(Object.values(schemes).map((scheme) => scheme.in ?? scheme.scheme)).toEqual([
      'bearer',
      'bearer',
      'bearer',
      'basic',
    ]);
  });

  it('puts no example on a query parameter, so "Try it out" does not filter lists to nothing', () => {
    const prefilled = operations().flatMap(({ method, path, op }) =>
      (op.parameters ?? [])
        .filter(
          (p) =>
            p.in === 'query' &&
            (p.example !== undefined ||
              p.examples !== undefined ||
              p.schema?.example !== undefined),
        )
        .map((p) => `${method.toUpperCase()} ${path} ?${p.name}`),
    );
    expect(prefilled).toEqual([]);
  });

  it('documents every contract route', () => {
    const documented = operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(documented).toEqual(expect.arrayContaining(CONTRACT_ROUTES));
  });

  it('documents every operation: typed success, problem+json errors, security and 401', () => {
    const schemas = new Set(Object.keys(doc.components.schemas));
    const gaps: string[] = [];
    for (const { path, method, op } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const isPublic = PUBLIC_ROUTES.has(where);
      const successes = Object.keys(op.responses).filter((status) => /^2\d\d$/.test(status));
      if (successes.length === 0) gaps.push(`${where}: no 2xx response`);
      for (const status of successes) {
        const content = op.responses[status].content;
        if (status === '204' || EMPTY_SUCCESS.has(`${where} ${status}`)) {
          if (content) gaps.push(`${where} ${status}: documents a body it never sends`);
          continue;
        }
        if (!content || Object.keys(content).length === 0) {
          gaps.push(`${where} ${status}: no response body documented`);
          continue;
        }
        for (const [type, media] of Object.entries(content)) {
          if (!media.schema) gaps.push(`${where} ${status} ${type}: no schema`);
          if (type !== 'application/json') continue;
          // JSON bodies name a response class, so every field is documented.
          const variants = ONE_OF_SUCCESS.has(`${where} ${status}`)
            ? ((media.schema?.oneOf ?? []) as Schema[]).map(
                (variant) => (variant.items as Schema | undefined) ?? variant,
              )
            : [media.schema];
          for (const variant of variants) {
            const ref = String(variant?.$ref);
            const name = ref.replace('#/components/schemas/', '');
            if (!/^#\/components\/schemas\/\w+Dto$/.test(ref) || !schemas.has(name))
              gaps.push(`${where} ${status}: JSON body without a response class (${ref})`);
          }
        }
      }
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^[45]\d\d$/.test(status) || (where === 'GET /health/ready' && status === '503'))
          continue;
        const problem = JSON.stringify(response.content?.[PROBLEM]?.schema ?? null);
        if (!/#\/components\/schemas\/(ProblemDetails|OAuthProblemDetailsDto)"/.test(problem))
          gaps.push(`${where} ${status}: not documented as problem+json`);
      }
      const security = op.security ?? [];
      if (isPublic) {
        if (security.length > 0) gaps.push(`${where}: public, yet documents security`);
        continue;
      }
      const schemes = security.flatMap((requirement) => Object.keys(requirement));
      const serviceScheme = SERVICE_ROUTES.get(where);
      if (serviceScheme !== undefined) {
        if (schemes.join() !== serviceScheme)
          gaps.push(`${where}: security should be ${serviceScheme} only (${schemes.join(', ')})`);
        continue;
      }
      if (schemes.join() !== 'bearer')
        gaps.push(`${where}: security is not exactly bearer (${schemes.join(', ')})`);
      const unauthorized = JSON.stringify(op.responses['401']?.content?.[PROBLEM]?.schema ?? null);
      if (!unauthorized.includes('#/components/schemas/ProblemDetails'))
        gaps.push(`${where}: no 401 problem response`);
    }
    expect(gaps).toEqual([]);
  });

  it('documents request bodies with their DTOs (JSON, and form-encoded on the OAuth routes)', () => {
    const gaps: string[] = [];
    for (const { path, method, op } of operations()) {
      if (!['post', 'put', 'patch'].includes(method) || !op.requestBody) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const content = op.requestBody.content ?? {};
      const types = path.startsWith('/oauth/')
        ? ['application/x-www-form-urlencoded', 'application/json']
        : ['application/json'];
      for (const type of types) {
        const ref = String(content[type]?.schema?.$ref);
        if (!/^#\/components\/schemas\/\w+Dto$/.test(ref)) gaps.push(`${where} ${type}: ${ref}`);
      }
    }
    expect(gaps).toEqual([]);
    const bodies = operations()
      .filter(({ op }) => op.requestBody)
      .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(bodies).toEqual(
      expect.arrayContaining([
        'POST /auth/register',
        'POST /auth/login',
        'POST /auth/refresh',
        'POST /auth/password/change',
        'POST /auth/password/forgot',
        'POST /auth/password/reset',
        'PATCH /devices/{id}',
        'POST /oauth/token',
        'POST /oauth/revoke',
        'POST /oauth/introspect',
      ]),
    );
  });

  /** The documented schema of one operation's response with this status. */
  function documentedSchema(
    method: string,
    path: string,
    status: number,
    type = 'application/json',
  ): Schema {
    const schema = doc.paths[path]?.[method]?.responses[String(status)]?.content?.[type]?.schema;
    expect({ method, path, status, schema: schema === undefined ? 'missing' : 'present' }).toEqual({
      method,
      path,
      status,
      schema: 'present',
    });
    return schema!;
  }

  it('describes real responses of the user-facing routes', async () => {
    const email = uniqueEmail('docs-user');
    const registered = await t.http
      .post('/auth/register')
      .send({ email, password: PASSWORD, displayName: 'Docs User' })
      .expect(201);
    expectMatchesSchema(registered.body, documentedSchema('post', '/auth/register', 201));

    // Header mode, with a device hint so the session carries a device.
    const headerLogin = await t.http
      .post('/auth/login')
      .set('User-Agent', 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0')
      .send({ email, password: PASSWORD, device: { id: 'docs-device-0001', name: 'Docs laptop' } })
      .expect(200);
    expect(headerLogin.body.accessToken).toEqual(expect.any(String));
    expect(headerLogin.body.session.device).not.toBeNull();
    expectMatchesSchema(headerLogin.body, documentedSchema('post', '/auth/login', 200));

    // Cookie mode: csrfToken instead of the tokens, same documented schema.
    const cookieLogin = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    expect(cookieLogin.body.csrfToken).toEqual(expect.any(String));
    expectMatchesSchema(cookieLogin.body, documentedSchema('post', '/auth/login', 200));

    const refreshed = await t.http
      .post('/auth/refresh')
      // The session is bound to the device id it signed in with: a refresh must send it.
      .send({ refreshToken: headerLogin.body.refreshToken, deviceId: 'docs-device-0001' })
      .expect(200);
    expectMatchesSchema(refreshed.body, documentedSchema('post', '/auth/refresh', 200));
    const current = refreshed.body.accessToken as string;

    const checks: Array<[string, string]> = [
      ['/auth/me', '/auth/me'],
      ['/sessions', '/sessions'],
      ['/devices', '/devices'],
      ['/me/activity?limit=5', '/me/activity'],
      ['/me/alerts', '/me/alerts'],
    ];
    for (const [url, path] of checks) {
      const res = await t.http
        .get(url)
        .set(...bearer(current))
        .expect(200);
      expectMatchesSchema(res.body, documentedSchema('get', path, 200));
    }
    const sessions = await t.http
      .get('/sessions')
      .set(...bearer(current))
      .expect(200);
    expect(sessions.body.items.length).toBeGreaterThanOrEqual(2);
    const devices = await t.http
      .get('/devices')
      .set(...bearer(current))
      .expect(200);
    expect(devices.body.items.length).toBeGreaterThanOrEqual(1);

    const unauthenticated = await t.http.get('/sessions').expect(401);
    expectMatchesSchema(unauthenticated.body, documentedSchema('get', '/sessions', 401, PROBLEM));
  });

  it('describes real responses of the standards and operations routes', async () => {
    const checks: Array<[string, number]> = [
      ['/.well-known/jwks.json', 200],
      ['/.well-known/oauth-authorization-server', 200],
      ['/health/live', 200],
      ['/health/ready', 200],
    ];
    for (const [path, status] of checks) {
      const res = await t.http.get(path).expect(status);
      expectMatchesSchema(res.body, documentedSchema('get', path, status));
    }

    const email = uniqueEmail('docs-oauth');
    await register(t, email);
    const { refreshToken } = await login(t, email);
    const granted = await t.http
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refreshToken })
      .expect(200);
    expectMatchesSchema(granted.body, documentedSchema('post', '/oauth/token', 200));
    const introspected = await t.http
      .post('/oauth/introspect')
      .set(...bearer(adminToken))
      .send({ token: granted.body.access_token })
      .expect(200);
    expect(introspected.body.active).toBe(true);
    expectMatchesSchema(introspected.body, documentedSchema('post', '/oauth/introspect', 200));
    // A replay outside the REFRESH_REUSE_GRACE window (10 s by default) is reuse.
    t.clock.advance(t.config.refreshReuseGraceMs + 1_000);
    const refused = await t.http
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refreshToken })
      .expect(400);
    expect(refused.body.error).toBe('invalid_grant');
    expectMatchesSchema(refused.body, documentedSchema('post', '/oauth/token', 400, PROBLEM));

    // The replay revoked the session: the access token is now inactive, also as documented.
    const inactive = await t.http
      .post('/oauth/introspect')
      .set(...bearer(adminToken))
      .send({ token: granted.body.access_token })
      .expect(200);
    expect(inactive.body).toEqual({ active: false });
    expectMatchesSchema(inactive.body, documentedSchema('post', '/oauth/introspect', 200));
  });
});
