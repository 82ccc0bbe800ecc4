import { bearer, signedInUser } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * Issue 10: authenticated responses were cacheable and carried weak ETags, the API had the
 * relaxed CSP meant for Swagger UI, and Swagger UI persisted tokens in localStorage.
 */
describe('security headers', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
    token = (await signedInUser(t)).accessToken;
  });
  afterAll(async () => {
    await t.close();
  });

  it.each(['/sessions', '/devices', '/me/alerts'])(
    'GET %s: no-store, no ETag, locked-down CSP',
    async (path) => {
      const res = await t.http
        .get(path)
        .set(...bearer(token))
        .expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.etag).toBeUndefined();
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none';frame-ancestors 'none'",
      );
      expect(res.headers['strict-transport-security']).toMatch(/max-age=31536000/);
    },
  );

  it('a repeated request is not answered 304 from an ETag', async () => {
    const first = await t.http.get('/sessions').set(...bearer(token));
    const again = await t.http
      .get('/sessions')
      .set(...bearer(token))
      .set('If-None-Match', first.headers.etag ?? 'W/"anything"');
    expect(again.status).toBe(200);
  });

  it('token responses and error responses are no-store too', async () => {
    const refused = await t.http.get('/sessions').expect(401);
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(refused.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('only /docs gets the policy Swagger UI needs, and it does not persist tokens', async () => {
    const docs = await t.http.get('/docs/').expect(200);
    const csp = String(docs.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("default-src 'none'");
    const init = await t.http.get('/docs/swagger-ui-init.js').expect(200);
    expect(init.text).toContain('"persistAuthorization": false');
  });

  it('the public JWKS keeps its own cache policy', async () => {
    const jwks = await t.http.get('/.well-known/jwks.json').expect(200);
    expect(jwks.headers['cache-control']).toBe('public, max-age=300');
  });
});
