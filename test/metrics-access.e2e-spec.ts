import { createTestApp, type TestApp } from './support/test-app';

const TOKEN = 'metrics-scraper-token-0123456789';

/** Issue 10: /metrics was always public. METRICS_ACCESS = public | token | off. */
describe('METRICS_ACCESS', () => {
  describe('token', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ env: { METRICS_ACCESS: 'token', METRICS_TOKEN: TOKEN } });
    });
    afterAll(async () => {
      await t.close();
    });

    it('refuses a scrape without the bearer token, or with a wrong one', async () => {
      const none = await t.http.get('/metrics').expect(401);
      expect(none.body.code).toBe('unauthenticated');
      await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}x`).expect(401);
      await t.http.get('/metrics').set('Authorization', 'Bearer x').expect(401);
      await t.http.get('/metrics').set('Authorization', TOKEN).expect(401);
    });

    it('serves the scrape with the right token', async () => {
      const res = await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(res.text).toContain('# TYPE');
    });
  });

  it('production defaults: the docs are for admins and metrics need a token', async () => {
    const t = await createTestApp({ env: { NODE_ENV: 'production', METRICS_TOKEN: TOKEN } });
    try {
      await t.http.get('/metrics').expect(401);
      await t.http.get('/docs/openapi.json').expect(401);
      await t.http.get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    } finally {
      await t.close();
    }
  });

  it('off: /metrics is not there', async () => {
    const t = await createTestApp({ env: { METRICS_ACCESS: 'off' } });
    try {
      await t.http.get('/metrics').expect(404);
    } finally {
      await t.close();
    }
  });
});
