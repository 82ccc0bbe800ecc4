import { bearer, PASSWORD, register, signedInUser, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

describe('refresh-token rotation and reuse detection', () => {
  let t: TestApp;

  beforeAll(async () => {
    // The strictest setting: any replay is reuse (the default grace window is 10 s).
    t = await createTestApp({ env: { REFRESH_REUSE_GRACE: '0s' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('rotates on every use; presenting a rotated token revokes the whole session', async () => {
    const first = await signedInUser(t);
    const second = (
      await t.http.post('/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200)
    ).body;
    const third = (
      await t.http.post('/auth/refresh').send({ refreshToken: second.refreshToken }).expect(200)
    ).body;
    await t.http
      .get('/auth/me')
      .set(...bearer(third.accessToken))
      .expect(200);

    const reuse = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: first.refreshToken })
      .expect(401);
    expect(reuse.body.code).toBe('refresh_token_reused');

    // The newest tokens of the family stop working too.
    const me = await t.http
      .get('/auth/me')
      .set(...bearer(third.accessToken))
      .expect(401);
    expect(me.body.code).toBe('session_revoked');
    const latest = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: third.refreshToken })
      .expect(401);
    expect(latest.body.code).toBe('session_revoked');

    await t.flushEvents();
    const events: Array<{ type: string; reason: string | null }> = await t.dataSource.query(
      `SELECT type, payload->'data'->>'reason' AS reason FROM outbox_events
        WHERE payload->>'sessionId' = $1 AND type IN ('session.reuse_detected', 'session.revoked') ORDER BY seq`,
      [first.session.id],
    );
    expect(events).toEqual([
      { type: 'session.reuse_detected', reason: null },
      { type: 'session.revoked', reason: 'reuse_detected' },
    ]);
  });

  // Repeated: a lock-order deadlock between racing refreshes showed up only now and then.
  it.each([1, 2, 3, 4, 5])(
    '20 concurrent refreshes with one token: exactly one succeeds (round %i)',
    async () => {
      const tokens = await signedInUser(t);
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken }),
        ),
      );
      const ok = results.filter((res) => res.status === 200);
      expect(ok).toHaveLength(1);
      const failed = results.filter((res) => res.status !== 200);
      expect(failed.map((res) => res.status)).toEqual(Array(19).fill(401));
      // The first loser detects reuse and revokes the session; later ones find it revoked.
      const codes = failed.map((res) => res.body.code as string);
      expect(codes).toContain('refresh_token_reused');
      expect(new Set(codes).size).toBeLessThanOrEqual(2);
      expect(
        codes.every((code) => code === 'refresh_token_reused' || code === 'session_revoked'),
      ).toBe(true);
      // Only one successor was ever minted for the token.
      const [{ count }] = await t.dataSource.query(
        `SELECT count(*)::int AS count FROM refresh_tokens WHERE session_id = $1 AND generation = 1`,
        [tokens.session.id],
      );
      expect(count).toBe(1);
    },
  );

  it('an unknown or malformed refresh token is refresh_token_invalid', async () => {
    const res = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: 'x'.repeat(43) })
      .expect(401);
    expect(res.body.code).toBe('refresh_token_invalid');
    const missing = await t.http.post('/auth/refresh').send({}).expect(401);
    expect(missing.body.code).toBe('refresh_token_invalid');
  });

  it('refuses a refresh from another device id and keeps the session for its owner', async () => {
    const tokens = await signedInUser(t, { device: { id: 'phone-device-0001', name: 'Phone' } });
    const stolen = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken, deviceId: 'attacker-device-9' })
      .expect(401);
    expect(stolen.body.code).toBe('refresh_token_invalid');
    await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken, deviceId: 'phone-device-0001' })
      .expect(200);
    await t.flushEvents();
    const [event] = await t.dataSource.query(
      `SELECT payload->'data'->>'signal' AS signal FROM outbox_events WHERE type = 'session.hijack_suspected' AND payload->>'sessionId' = $1`,
      [tokens.session.id],
    );
    expect(event).toEqual({ signal: 'device_mismatch' });
  });

  it('a session bound to a device id refuses a refresh that omits it, without spending the token', async () => {
    const tokens = await signedInUser(t, { device: { id: 'phone-device-0002', name: 'Phone' } });
    const omitted = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(401);
    expect(omitted.body.code).toBe('refresh_token_invalid');
    // Not spent: the owner's next refresh is no reuse.
    await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken, deviceId: 'phone-device-0002' })
      .expect(200);
  });

  it('a browser session bound to its device cookie refuses a refresh without that cookie', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const res = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    const cookies = (res.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]);
    const csrf = res.body.csrfToken as string;
    const withoutDevice = cookies.filter((c) => !c.includes('tessera_did=')).join('; ');
    expect(withoutDevice).not.toEqual(cookies.join('; '));
    const stolen = await t.http
      .post('/auth/refresh')
      .set('Cookie', withoutDevice)
      .set('X-CSRF-Token', csrf)
      .send({})
      .expect(401);
    expect(stolen.body.code).toBe('refresh_token_invalid');
    // The refresh cookie alone, moved into the body (header mode), is refused too.
    const refresh = cookies.find((c) => c.includes('tessera_rt='))?.split('=')[1] ?? '';
    await t.http.post('/auth/refresh').send({ refreshToken: refresh }).expect(401);
    await t.http
      .post('/auth/refresh')
      .set('Cookie', cookies.join('; '))
      .set('X-CSRF-Token', csrf)
      .send({})
      .expect(200);
  });

  it('a session without an explicit device id refreshes without one', async () => {
    const tokens = await signedInUser(t);
    await t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
  });

  it('refuses a refresh from plainly different software (user agent family)', async () => {
    const iphone =
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
    const windows =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
    const tokens = (
      await t.http
        .post('/auth/register')
        .send({ email: `ua.${Date.now()}@example.com`, password: 'correct horse battery staple' })
        .expect(201)
    ).body;
    const session = (
      await t.http
        .post('/auth/login')
        .set('User-Agent', iphone)
        .send({ email: tokens.user.email, password: 'correct horse battery staple' })
        .expect(200)
    ).body;
    await t.http
      .post('/auth/refresh')
      .set('User-Agent', windows)
      .send({ refreshToken: session.refreshToken })
      .expect(401);
    await t.http
      .post('/auth/refresh')
      .set('User-Agent', iphone)
      .send({ refreshToken: session.refreshToken })
      .expect(200);
  });

  it('records an IP change on refresh without refusing it', async () => {
    const tokens = await signedInUser(t);
    await t.dataSource.query(`UPDATE sessions SET ip = '203.0.113.7' WHERE id = $1`, [
      tokens.session.id,
    ]);
    await t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
    await t.flushEvents();
    const [event] = await t.dataSource.query(
      `SELECT payload->'data'->>'previousIp' AS previous FROM outbox_events WHERE type = 'session.ip_changed' AND payload->>'sessionId' = $1`,
      [tokens.session.id],
    );
    expect(event).toEqual({ previous: '203.0.113.7' });
  });
});

describe('refresh reuse grace window', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { REFRESH_REUSE_GRACE: '10s' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('returns the same successor to a replay inside the window, never a second one', async () => {
    const tokens = await signedInUser(t);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const successors = new Set(results.map((r) => r.body.refreshToken as string));
    expect(successors.size).toBe(1);
    const [successor] = [...successors];
    await t.http
      .get('/auth/me')
      .set(...bearer(results[3].body.accessToken))
      .expect(200);

    // Outside the window, the same replay is reuse.
    t.clock.advance(11_000);
    const late = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(401);
    expect(late.body.code).toBe('refresh_token_reused');
    const afterReuse = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: successor })
      .expect(401);
    expect(afterReuse.body.code).toBe('session_revoked');
  });

  it('stops replaying once the successor has itself been used', async () => {
    const tokens = await signedInUser(t);
    const next = (
      await t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(200)
    ).body;
    await t.http.post('/auth/refresh').send({ refreshToken: next.refreshToken }).expect(200);
    const replay = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(401);
    expect(replay.body.code).toBe('refresh_token_reused');
  });
});
