import type { Response } from 'supertest';
import { createTestApp, type TestApp } from './support/test-app';

const ORIGIN = 'https://app.example.com';

function expectCors(res: Response): void {
  expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  expect(res.headers['access-control-allow-credentials']).toBe('true');
}

/** Contract v2: CORS headers on every answer, errors from the body parser included. */
describe('CORS (CORS_ORIGINS set)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: ORIGIN, BODY_LIMIT: '1kb' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a preflight with the allowed headers and Access-Control-Max-Age (default 600 s)', async () => {
    const res = await t.http
      .options('/auth/login')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-auth-mode,x-csrf-token')
      .expect(204);
    expectCors(res);
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers['access-control-allow-headers']).toMatch(/X-CSRF-Token/);
    expect(res.headers['access-control-allow-headers']).toMatch(/X-Auth-Mode/);
  });

  it('400 from the JSON body parser (malformed JSON) carries CORS headers', async () => {
    const res = await t.http
      .post('/auth/login')
      .set('Origin', ORIGIN)
      .set('Content-Type', 'application/json')
      .send('{"email": ')
      .expect(400);
    expectCors(res);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
  });

  it('413 from the body-size limit carries CORS headers', async () => {
    const res = await t.http
      .post('/auth/login')
      .set('Origin', ORIGIN)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(4096) }))
      .expect(413);
    expectCors(res);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('400 from the input guard (NUL in a string) carries CORS headers', async () => {
    const res = await t.http
      .post('/auth/login')
      .set('Origin', ORIGIN)
      .send({ email: 'a\u0000@example.com', password: 'whatever-password' })
      .expect(400);
    expectCors(res);
    expect(res.body.code).toBe('validation_failed');
    expect(JSON.stringify(res.body.errors)).toMatch(/NUL/);
  });

  it('401 from the guard and 404 for an unknown route carry CORS headers', async () => {
    const unauthenticated = await t.http.get('/auth/me').set('Origin', ORIGIN).expect(401);
    expectCors(unauthenticated);
    expect(unauthenticated.headers['access-control-expose-headers']).toMatch(/Retry-After/);
    const missing = await t.http.get('/no-such-route').set('Origin', ORIGIN).expect(404);
    expectCors(missing);
  });

  it('an origin that is not listed gets no CORS headers', async () => {
    const res = await t.http
      .post('/auth/login')
      .set('Origin', 'https://evil.example')
      .set('Content-Type', 'application/json')
      .send('{"email": ')
      .expect(400);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('CORS_MAX_AGE', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: ORIGIN, CORS_MAX_AGE: '2h' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sets Access-Control-Max-Age from the configuration', async () => {
    const res = await t.http
      .options('/auth/refresh')
      .set('Origin', ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .expect(204);
    expect(res.headers['access-control-max-age']).toBe('7200');
  });
});
