import { bearer } from './support/auth-client';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * Issue 10 (SSRF): an admin could register webhooks aimed at this host, the cloud metadata
 * service or private networks, and the worker called them. With the development flags off
 * (the default), creation must be refused after the host is resolved.
 */
describe('webhooks: internal targets are refused (SSRF)', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    const admin = await signedInAdmin(t);
    adminToken = admin.accessToken;
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  it.each([
    'http://0x7f000001:8080/hook',
    'https://0x7f000001:8443/hook',
    'https://2130706433/',
    'https://127.1/',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/',
    'https://[::ffff:127.0.0.1]/',
    'https://10.0.0.1/',
    'https://192.168.1.10/',
    'https://100.64.0.1/',
    'https://[fd00::1]/',
    'https://localhost/hook',
  ])('refuses %s with 400 validation_failed', async (url) => {
    const res = await t.http
      .post('/admin/webhooks')
      .set(...bearer(adminToken))
      .send({ url })
      .expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
    const list = await t.http
      .get('/admin/webhooks')
      .set(...bearer(adminToken))
      .expect(200);
    expect(list.body.items.map((hook: { url: string }) => hook.url)).not.toContain(url);
  });

  it('refuses plain http to a public address unless WEBHOOK_ALLOW_HTTP is set', async () => {
    const res = await t.http
      .post('/admin/webhooks')
      .set(...bearer(adminToken))
      .send({ url: 'http://93.184.215.14/hook' })
      .expect(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('accepts a public https address', async () => {
    await t.http
      .post('/admin/webhooks')
      .set(...bearer(adminToken))
      .send({ url: 'https://93.184.215.14/hook' })
      .expect(201);
  });
});
