import { bearer, signedInUser } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

describe('DOCS_ACCESS', () => {
  it('admin: documentation only for signed-in admins', async () => {
    const t: TestApp = await createTestApp({ env: { DOCS_ACCESS: 'admin' } });
    try {
      expect((await t.http.get('/docs/openapi.json').expect(401)).body.code).toBe(
        'unauthenticated',
      );
      const user = await signedInUser(t);
      expect(
        (
          await t.http
            .get('/docs/openapi.json')
            .set(...bearer(user.accessToken))
            .expect(403)
        ).body.code,
      ).toBe('forbidden');
      await t.dataSource.query(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [
        user.user.id,
      ]);
      await t.http
        .get('/docs/openapi.json')
        .set(...bearer(user.accessToken))
        .expect(200);
    } finally {
      await t.close();
    }
  });

  it('off: no documentation routes at all', async () => {
    const t: TestApp = await createTestApp({ env: { DOCS_ACCESS: 'off' } });
    try {
      await t.http.get('/docs/openapi.json').expect(404);
      await t.http.get('/docs').expect(404);
    } finally {
      await t.close();
    }
  });
});
