import { bearer, login, register, signedInUser, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

describe('session limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { MAX_SESSIONS_PER_USER: '10' } });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the 11th login evicts the least recently active session, whose tokens are then refused', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const sessions = [];
    for (let i = 0; i < 10; i += 1) {
      sessions.push(await login(t, email));
      t.clock.advance(1000);
    }
    // Session 0 is the oldest login, but activity makes session 1 the least recently active.
    await t.http.post('/auth/refresh').send({ refreshToken: sessions[0].refreshToken }).expect(200);
    const eleventh = await login(t, email);

    const evicted = await t.http
      .get('/auth/me')
      .set(...bearer(sessions[1].accessToken))
      .expect(401);
    expect(evicted.body.code).toBe('session_revoked');
    await t.http.post('/auth/refresh').send({ refreshToken: sessions[1].refreshToken }).expect(401);
    await t.http
      .get('/auth/me')
      .set(...bearer(sessions[2].accessToken))
      .expect(200);
    const list = await t.http
      .get('/sessions')
      .set(...bearer(eleventh.accessToken))
      .expect(200);
    expect(list.body.items).toHaveLength(10);
    await t.flushEvents();
    const [event] = await t.dataSource.query(
      `SELECT payload->'data'->>'reason' AS reason FROM outbox_events WHERE type = 'session.revoked' AND payload->>'sessionId' = $1`,
      [sessions[1].session.id],
    );
    expect(event).toEqual({ reason: 'limit_evicted' });
  });

  it('concurrent logins never overshoot the limit', async () => {
    const email = uniqueEmail();
    await register(t, email);
    await Promise.all(Array.from({ length: 15 }, () => login(t, email)));
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1 AND s.status = 'active'`,
      [email],
    );
    expect(count).toBe(10);
  });
});

describe('self-service sessions and devices', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('lists the caller’s sessions with the current one marked, and revokes one or all but current', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const phone = await login(
      t,
      email,
      { device: { id: 'phone-0000-0001', name: 'My phone' } },
      IPHONE,
    );
    const laptop = await login(t, email, {}, WINDOWS);
    const tablet = await login(t, email, {}, 'Tablet/1.0');
    const list = (
      await t.http
        .get('/sessions')
        .set(...bearer(laptop.accessToken))
        .expect(200)
    ).body;
    expect(list.nextCursor).toBeNull();
    expect(list.items).toHaveLength(3);
    const current = list.items.filter((s: { current: boolean }) => s.current);
    expect(current.map((s: { id: string }) => s.id)).toEqual([laptop.session.id]);
    expect(Object.keys(list.items[0]).sort()).toEqual(
      expect.arrayContaining([
        'id',
        'current',
        'device',
        'ip',
        'userAgent',
        'createdAt',
        'lastActiveAt',
        'idleExpiresAt',
        'expiresAt',
      ]),
    );

    await t.http
      .delete(`/sessions/${phone.session.id}`)
      .set(...bearer(laptop.accessToken))
      .expect(204);
    await t.http
      .get('/auth/me')
      .set(...bearer(phone.accessToken))
      .expect(401);

    await t.http
      .delete('/sessions')
      .set(...bearer(laptop.accessToken))
      .expect(204);
    await t.http
      .get('/auth/me')
      .set(...bearer(tablet.accessToken))
      .expect(401);
    await t.http
      .get('/auth/me')
      .set(...bearer(laptop.accessToken))
      .expect(200);
  });

  it('answers 404 for another user’s session or device, and changes nothing', async () => {
    const alice = await signedInUser(t);
    const mallory = await signedInUser(t);
    const aliceDevice = alice.session.device?.id as string;
    const res = await t.http
      .delete(`/sessions/${alice.session.id}`)
      .set(...bearer(mallory.accessToken))
      .expect(404);
    expect(res.body.code).toBe('not_found');
    await t.http
      .delete(`/devices/${aliceDevice}`)
      .set(...bearer(mallory.accessToken))
      .expect(404);
    await t.http
      .patch(`/devices/${aliceDevice}`)
      .set(...bearer(mallory.accessToken))
      .send({ name: 'pwned' })
      .expect(404);
    await t.http
      .post(`/devices/${aliceDevice}/trust`)
      .set(...bearer(mallory.accessToken))
      .expect(404);
    await t.http
      .delete(`/devices/${aliceDevice}/trust`)
      .set(...bearer(mallory.accessToken))
      .expect(404);
    await t.http
      .get('/auth/me')
      .set(...bearer(alice.accessToken))
      .expect(200);
    const devices = (
      await t.http
        .get('/devices')
        .set(...bearer(alice.accessToken))
        .expect(200)
    ).body.items;
    expect(devices[0].name).not.toBe('pwned');
    const malloryList = (
      await t.http
        .get('/sessions')
        .set(...bearer(mallory.accessToken))
        .expect(200)
    ).body.items;
    expect(malloryList.map((s: { id: string }) => s.id)).not.toContain(alice.session.id);
  });

  it('recognises devices, parses OS and browser, and counts their sessions', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const first = await login(t, email, { device: { id: 'iphone-1234-5678' } }, IPHONE);
    await login(t, email, { device: { id: 'iphone-1234-5678' } }, IPHONE);
    await login(t, email, {}, WINDOWS);
    const devices = (
      await t.http
        .get('/devices')
        .set(...bearer(first.accessToken))
        .expect(200)
    ).body.items as Array<Record<string, unknown>>;
    expect(devices).toHaveLength(2);
    const iphone = devices.find((d) => d.os === 'iOS 17.0');
    expect(iphone).toMatchObject({
      browser: 'Mobile Safari 17',
      platform: 'mobile',
      activeSessions: 2,
      trusted: false,
      passkeys: 0,
    });
    const windows = devices.find((d) => d.os === 'Windows 10');
    expect(windows).toMatchObject({ browser: 'Chrome 131', activeSessions: 1 });
    await t.flushEvents();
    const [{ count }] = await t.dataSource.query(
      `SELECT count(*)::int AS count FROM outbox_events WHERE type = 'device.new' AND payload->>'userId' = $1`,
      [first.user.id],
    );
    expect(count).toBe(2);
  });

  it('renames, trusts and untrusts a device', async () => {
    const me = await signedInUser(t);
    const deviceId = me.session.device?.id as string;
    await t.http
      .patch(`/devices/${deviceId}`)
      .set(...bearer(me.accessToken))
      .send({ name: 'Work laptop' })
      .expect(204);
    await t.http
      .post(`/devices/${deviceId}/trust`)
      .set(...bearer(me.accessToken))
      .expect(204);
    let [device] = (await t.http.get('/devices').set(...bearer(me.accessToken))).body.items;
    expect(device).toMatchObject({ name: 'Work laptop', trusted: true });
    await t.http
      .delete(`/devices/${deviceId}/trust`)
      .set(...bearer(me.accessToken))
      .expect(204);
    [device] = (await t.http.get('/devices').set(...bearer(me.accessToken))).body.items;
    expect(device.trusted).toBe(false);
    await t.flushEvents();
    const recorded = await t.dataSource.query<
      Array<{ type: string; ip: string | null; ua: string | null }>
    >(
      `SELECT type, payload->>'ip' AS ip, payload->>'userAgent' AS ua FROM outbox_events
        WHERE payload->>'deviceId' = $1 AND type IN ('device.renamed', 'device.trusted', 'device.untrusted')`,
      [deviceId],
    );
    expect(recorded).toHaveLength(3);
    expect(recorded.every((event) => event.ip !== null)).toBe(true);
    const bad = await t.http
      .patch(`/devices/${deviceId}`)
      .set(...bearer(me.accessToken))
      .send({ name: '' })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('forgetting a device revokes its sessions', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const phone = await login(t, email, { device: { id: 'phone-to-forget-1' } }, IPHONE);
    const phone2 = await login(t, email, { device: { id: 'phone-to-forget-1' } }, IPHONE);
    const laptop = await login(t, email, {}, WINDOWS);
    await t.http
      .delete(`/devices/${phone.session.device?.id}`)
      .set(...bearer(laptop.accessToken))
      .expect(204);
    for (const tokens of [phone, phone2]) {
      const res = await t.http
        .get('/auth/me')
        .set(...bearer(tokens.accessToken))
        .expect(401);
      expect(res.body.code).toBe('session_revoked');
    }
    await t.http
      .get('/auth/me')
      .set(...bearer(laptop.accessToken))
      .expect(200);
    const devices = (await t.http.get('/devices').set(...bearer(laptop.accessToken))).body.items;
    expect(devices).toHaveLength(1);
  });

  it('a browser keeps its device across logins through the device cookie', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const first = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .set('User-Agent', WINDOWS)
      .send({ email, password: 'correct horse battery staple' })
      .expect(200);
    const deviceCookie = (first.headers['set-cookie'] as unknown as string[])
      .find((c) => c.startsWith('__Host-tessera_did='))
      ?.split(';')[0] as string;
    const second = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .set('User-Agent', WINDOWS)
      .set('Cookie', deviceCookie)
      .send({ email, password: 'correct horse battery staple' })
      .expect(200);
    expect(second.body.session.device.id).toBe(first.body.session.device.id);
    expect(
      (second.headers['set-cookie'] as unknown as string[]).some((c) =>
        c.startsWith('__Host-tessera_did='),
      ),
    ).toBe(false);
  });
});
