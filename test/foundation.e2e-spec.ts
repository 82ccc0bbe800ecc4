import { createTestApp, type TestApp } from './support/test-app';

describe('foundation: errors, health, docs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  function expectProblem(
    res: { headers: Record<string, string>; body: Record<string, unknown> },
    status: number,
    code: string,
  ): void {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, code, type: `urn:tessera:problem:${code}` });
    expect(typeof res.body.title).toBe('string');
    expect(typeof res.body.detail).toBe('string');
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+|SELECT |INSERT |node_modules/);
  }

  it('answers unknown routes with 404 problem+json', async () => {
    const res = await t.http.get('/no/such/route').expect(404);
    expectProblem(res, 404, 'not_found');
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const res = await t.http
      .post('/auth/register')
      .set('Content-Type', 'application/json')
      .send('{"email":')
      .expect(400);
    expectProblem(res, 400, 'validation_failed');
  });

  it('answers an oversized body with 413 problem+json', async () => {
    const res = await t.http
      .post('/auth/register')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(200 * 1024) }))
      .expect(413);
    expectProblem(res, 413, 'payload_too_large');
  });

  it('lists each invalid field, and refuses unknown fields (mass assignment)', async () => {
    const res = await t.http
      .post('/auth/register')
      .send({ email: 'not-an-email', password: 'long enough password', roles: ['admin'] })
      .expect(400);
    expectProblem(res, 400, 'validation_failed');
    const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field).sort();
    expect(fields).toEqual(['email', 'roles']);
  });

  it('refuses prototype-pollution keys', async () => {
    const res = await t.http
      .post('/auth/register')
      .set('Content-Type', 'application/json')
      .send(
        '{"email":"p@example.com","password":"long enough password","__proto__":{"admin":true}}',
      );
    expect(res.status).toBe(400);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('hides an unexpected failure behind 500 internal_error with a request id', async () => {
    // A real fault: drop a table the route needs, then restore it.
    await t.dataSource.query('ALTER TABLE users RENAME TO users_away');
    try {
      const res = await t.http
        .post('/auth/register')
        .send({ email: 'boom@example.com', password: 'long enough password' });
      expect(res.status).toBe(500);
      expectProblem(res, 500, 'internal_error');
      expect(res.body.requestId).toBe(res.headers['x-request-id']);
      expect(JSON.stringify(res.body)).not.toContain('users');
    } finally {
      await t.dataSource.query('ALTER TABLE users_away RENAME TO users');
    }
  });

  it('reports liveness and readiness', async () => {
    await t.http.get('/health/live').expect(200, { status: 'ok' });
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'up', migrations: 'applied' } });
  });

  it('serves the Swagger UI and the OpenAPI document with its bearer security schemes', async () => {
    const ui = await t.http.get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = await t.http.get('/docs/openapi.json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    // Header credentials only (bearer tokens, and Basic for service clients): a cookie scheme
    // in Authorize is one a browser page cannot use.
    const schemes = doc.body.components.securitySchemes as Record<string, { type: string }>;
    expect(Object.keys(schemes).sort()).toEqual([
      'bearer',
      'revocationFeed',
      'serviceClient',
      'serviceToken',
    ]);
    expect(Object.values(schemes).every((scheme) => scheme.type === 'http')).toBe(true);
    expect(doc.body.paths['/auth/login']).toBeDefined();
  });

  it('sets security headers and never X-Powered-By', async () => {
    const res = await t.http.get('/health/live');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });
});
