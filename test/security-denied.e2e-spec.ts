import { SecurityDenialsFlusher } from '../src/audit/security-denials-flusher';
import { bearer, login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { createTestApp, type TestApp } from './support/test-app';

interface DeniedRow {
  user_id: string | null;
  outcome: string;
  data: { kind: string; network: string; count: number; windowStart: string };
}

describe('refused requests are audited in per-minute aggregates', () => {
  let t: TestApp;
  let jar: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { TRUST_PROXY: 'loopback' } });
    const email = uniqueEmail();
    await register(t, email);
    const res = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    jar = (res.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; ');
  });
  afterAll(async () => {
    await t.close();
  });

  async function deniedRecords(kind: string, network: string): Promise<DeniedRow[]> {
    return t.dataSource.query<DeniedRow[]>(
      `SELECT user_id, outcome, data FROM audit_records
        WHERE type = 'security.denied' AND data->>'kind' = $1 AND data->>'network' = $2`,
      [kind, network],
    );
  }

  it('30 CSRF failures in a minute from one network make ONE record with count 30', async () => {
    for (let i = 0; i < 30; i += 1) {
      const res = await t.http
        .delete('/sessions')
        .set('X-Forwarded-For', `198.51.100.${(i % 5) + 1}`)
        .set('Cookie', jar);
      expect(res.body.code).toBe('csrf_failed');
    }
    const flusher = t.app.get(SecurityDenialsFlusher);
    // Within the minute nothing is written yet.
    await flusher.flush();
    await drainEvents(t);
    expect(await deniedRecords('csrf_failed', '198.51.100.0/24')).toEqual([]);

    t.clock.advance(60_000);
    await flusher.flush();
    await drainEvents(t);
    const rows = await deniedRecords('csrf_failed', '198.51.100.0/24');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: null, outcome: 'failure' });
    expect(rows[0].data.count).toBe(30);
    expect(new Date(rows[0].data.windowStart).getTime() % 60_000).toBe(0);
  });

  it('counts invalid tokens and 403s per kind and network', async () => {
    const other = await login(t, (await register(t, uniqueEmail())).email);
    for (let i = 0; i < 3; i += 1) {
      await t.http
        .get('/auth/me')
        .set('X-Forwarded-For', '203.0.113.9')
        .set(...bearer('not-a-token'))
        .expect(401);
      await t.http
        .get('/admin/users')
        .set('X-Forwarded-For', '203.0.113.9')
        .set(...bearer(other.accessToken))
        .expect(403);
    }
    t.clock.advance(60_000);
    await t.app.get(SecurityDenialsFlusher).flush();
    await drainEvents(t);
    const [invalid] = await deniedRecords('token_invalid', '203.0.113.0/24');
    const [forbidden] = await deniedRecords('forbidden', '203.0.113.0/24');
    expect(invalid?.data.count).toBe(3);
    expect(forbidden?.data.count).toBe(3);
  });
});
