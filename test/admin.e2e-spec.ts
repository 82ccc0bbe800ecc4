import { randomUUID } from 'node:crypto';
import {
  bearer,
  login,
  register,
  signedInUser,
  type TokenBody,
  uniqueEmail,
} from './support/auth-client';
import {
  type AdminSession,
  loginWithSecondFactor,
  signedInAdmin,
  ADMIN_SETUP_TIMEOUT_MS,
  totpCode,
} from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

interface OutboxPayload {
  type: string;
  userId: string;
  sessionId?: string;
  data: Record<string, unknown>;
}

describe('admin API', () => {
  let t: TestApp;
  let admin: AdminSession;

  async function events(type: string, userId: string): Promise<OutboxPayload[]> {
    const rows: Array<{ payload: OutboxPayload | string }> = await t.dataSource.query(
      'SELECT payload FROM outbox_events WHERE type = $1 ORDER BY seq',
      [type],
    );
    return rows
      .map((row) =>
        typeof row.payload === 'string' ? (JSON.parse(row.payload) as OutboxPayload) : row.payload,
      )
      .filter((event) => event.userId === userId);
  }

  const asAdmin = (method: 'get' | 'patch' | 'post' | 'delete', path: string) =>
    t.http[method](path).set(...bearer(admin.accessToken));

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signedInAdmin(t);
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  it('refuses every admin route of the OpenAPI document to a non-admin (403 forbidden)', async () => {
    const user = await signedInUser(t);
    const doc = (await t.http.get('/docs/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
    };
    const routes = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, op]) => path.startsWith('/admin') || (op.tags ?? []).includes('admin'))
        .map(([method]) => ({ method, path: path.replace(/\{[^}]+\}/g, () => randomUUID()) })),
    );
    // Ours at least; the audit, alert and webhook routes join in when they exist.
    expect(routes.length).toBeGreaterThanOrEqual(7);
    for (const { method, path } of routes) {
      const res = await t.http[method as 'get'](path)
        .set(...bearer(user.accessToken))
        .send({});
      expect({ method, path, status: res.status, code: res.body.code }).toEqual({
        method,
        path,
        status: 403,
        code: 'forbidden',
      });
      const anonymous = await t.http[method as 'get'](path).send({});
      expect({ method, path, status: anonymous.status }).toEqual({ method, path, status: 401 });
    }
  });

  it('lists users by email prefix, keyset-paginated', async () => {
    const prefix = `page.${randomUUID().slice(0, 8)}`;
    const emails = [
      `${prefix}.c@example.com`,
      `${prefix}.A@example.com`,
      `${prefix}.b@example.com`,
    ];
    for (const email of emails) await register(t, email);
    const first = await asAdmin('get', `/admin/users?email=${prefix.toUpperCase()}&limit=2`).expect(
      200,
    );
    expect(first.body.items.map((u: { email: string }) => u.email)).toEqual([emails[1], emails[2]]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await asAdmin(
      'get',
      `/admin/users?email=${prefix}&limit=2&cursor=${first.body.nextCursor}`,
    ).expect(200);
    expect(second.body).toEqual({
      items: [expect.objectContaining({ email: emails[0], roles: ['user'] })],
      nextCursor: null,
    });
    // LIKE wildcards in the prefix are literal.
    await asAdmin('get', '/admin/users?email=%25').expect(200, { items: [], nextCursor: null });
  });

  it('validates list parameters', async () => {
    for (const query of ['limit=0', 'limit=201', 'limit=x', 'cursor=bogus', 'unknown=1']) {
      const res = await asAdmin('get', `/admin/users?${query}`).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    const res = await asAdmin('get', '/admin/users').expect(200);
    expect(res.body.items.length).toBeLessThanOrEqual(50);
  });

  it('shows a user with session and device counts; 404 for an unknown id', async () => {
    const email = uniqueEmail();
    const { id } = await register(t, email);
    await login(t, email, { device: { id: 'device-aaaa-1' } });
    await login(t, email, { device: { id: 'device-bbbb-2' } });
    const res = await asAdmin('get', `/admin/users/${id}`).expect(200);
    expect(res.body).toMatchObject({
      id,
      email,
      locked: false,
      activeSessions: 2,
      totalSessions: 2,
      devices: 2,
    });
    const missing = await asAdmin('get', `/admin/users/${randomUUID()}`).expect(404);
    expect(missing.body.code).toBe('not_found');
    await asAdmin('get', '/admin/users/not-a-uuid').expect(400);
  });

  it('locks a user: sessions revoked at once, logins refused, audited with the admin as actor', async () => {
    const user = await signedInUser(t);
    const res = await asAdmin('patch', `/admin/users/${user.user.id}`)
      .send({ locked: true })
      .expect(200);
    expect(res.body).toMatchObject({ locked: true, activeSessions: 0 });
    const after = await t.http
      .get('/auth/me')
      .set(...bearer(user.accessToken))
      .expect(401);
    expect(after.body.code).toBe('session_revoked');
    await t.http
      .post('/auth/login')
      .send({ email: user.email, password: 'correct horse battery staple' })
      .expect(423);

    const [locked] = await events('user.locked', user.user.id);
    expect(locked.data).toEqual({ reason: 'admin', actorId: admin.user.id });
    const [revoked] = await events('session.revoked', user.user.id);
    expect(revoked).toMatchObject({
      sessionId: user.session.id,
      data: { reason: 'admin', actorId: admin.user.id },
    });

    await asAdmin('patch', `/admin/users/${user.user.id}`).send({ locked: false }).expect(200);
    expect((await events('user.unlocked', user.user.id))[0].data).toEqual({
      reason: 'admin',
      actorId: admin.user.id,
    });
    await login(t, user.email);
  });

  it(
    'changes roles (audited); a demoted admin is refused on the very next request',
    async () => {
      // Its token still says "admin" after the demotion.
      const other = await signedInAdmin(t, uniqueEmail('second-admin'));
      const { id } = other.user;
      await t.http
        .get('/admin/sessions/stats')
        .set(...bearer(other.accessToken))
        .expect(200);

      const res = await asAdmin('patch', `/admin/users/${id}`)
        .send({ roles: ['user'] })
        .expect(200);
      expect(res.body.roles).toEqual(['user']);
      const refused = await t.http
        .get('/admin/sessions/stats')
        .set(...bearer(other.accessToken))
        .expect(403);
      expect(refused.body.code).toBe('forbidden');
      const changes = await events('user.roles_changed', id);
      expect(changes[changes.length - 1].data).toEqual({ roles: ['user'], actorId: admin.user.id });

      await asAdmin('patch', `/admin/users/${id}`)
        .send({ roles: ['admin'] })
        .expect(200);
      await t.http
        .get('/admin/sessions/stats')
        .set(...bearer(other.accessToken))
        .expect(200);
    },
    ADMIN_SETUP_TIMEOUT_MS,
  );

  it('refuses bad updates: empty, unknown roles, unknown fields, self-demotion, self-lock', async () => {
    const { id } = await register(t);
    for (const body of [{}, { roles: ['root'] }, { locked: 'yes' }, { email: 'x@example.com' }]) {
      const res = await asAdmin('patch', `/admin/users/${id}`).send(body).expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    await asAdmin('patch', `/admin/users/${admin.user.id}`)
      .send({ roles: ['user'] })
      .expect(400);
    await asAdmin('patch', `/admin/users/${admin.user.id}`).send({ locked: true }).expect(400);
    await asAdmin('patch', `/admin/users/${randomUUID()}`).send({ locked: true }).expect(404);
  });

  it('searches sessions with every filter, newest first, keyset-paginated without gaps', async () => {
    const email = uniqueEmail();
    const { id: userId } = await register(t, email);
    const start = t.clock.now();
    const created: TokenBody[] = [];
    for (let i = 0; i < 5; i += 1) {
      // Two pairs share a millisecond: the cursor must break ties by id.
      if (i % 2 === 0) t.clock.advance(1000);
      created.push(await login(t, email, { device: { id: `device-search-${i % 2}` } }));
    }
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const res = await asAdmin(
        'get',
        `/admin/sessions?userId=${userId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      ).expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((s: { id: string }) => s.id));
      cursor = res.body.nextCursor as string | null;
    }
    expect(new Set(seen).size).toBe(5);
    const all = await asAdmin('get', `/admin/sessions?userId=${userId}`).expect(200);
    expect(all.body.items.map((s: { id: string }) => s.id)).toEqual(seen);
    const times = all.body.items.map((s: { createdAt: string }) => s.createdAt);
    expect([...times].sort().reverse()).toEqual(times);

    const deviceId = created[0].session.device!.id;
    const byDevice = await asAdmin('get', `/admin/sessions?deviceId=${deviceId}`).expect(200);
    expect(byDevice.body.items).toHaveLength(3);
    expect(
      byDevice.body.items.every((s: { device: { id: string } }) => s.device.id === deviceId),
    ).toBe(true);

    const ip = all.body.items[0].ip as string;
    const byIp = await asAdmin(
      'get',
      `/admin/sessions?userId=${userId}&ip=${encodeURIComponent(ip)}`,
    ).expect(200);
    expect(byIp.body.items).toHaveLength(5);
    await asAdmin('get', `/admin/sessions?ip=203.0.113.250`).expect(200, {
      items: [],
      nextCursor: null,
    });

    const from = new Date(start.getTime() + 2000).toISOString();
    const to = new Date(start.getTime() + 3000).toISOString();
    const window = await asAdmin(
      'get',
      `/admin/sessions?userId=${userId}&from=${from}&to=${to}`,
    ).expect(200);
    expect(window.body.items.map((s: { id: string }) => s.id).sort()).toEqual(
      [created[2].session.id, created[3].session.id].sort(),
    );

    await asAdmin('delete', `/admin/sessions/${created[4].session.id}`).expect(204);
    const active = await asAdmin('get', `/admin/sessions?userId=${userId}&status=active`).expect(
      200,
    );
    expect(active.body.items).toHaveLength(4);
    const revoked = await asAdmin('get', `/admin/sessions?userId=${userId}&status=revoked`).expect(
      200,
    );
    expect(revoked.body.items).toEqual([
      expect.objectContaining({ id: created[4].session.id, endReason: 'admin' }),
    ]);

    for (const query of [
      'status=gone',
      'userId=nope',
      'ip=999.1.1.1',
      'from=yesterday',
      'limit=500',
    ]) {
      await asAdmin('get', `/admin/sessions?${query}`).expect(400);
    }
  });

  it('revokes one session (204, audited, effective at once) and answers 404 for an unknown one', async () => {
    const user = await signedInUser(t);
    await asAdmin('delete', `/admin/sessions/${user.session.id}`).expect(204);
    await t.http
      .get('/auth/me')
      .set(...bearer(user.accessToken))
      .expect(401);
    const [event] = await events('session.revoked', user.user.id);
    expect(event).toMatchObject({
      sessionId: user.session.id,
      data: { reason: 'admin', actorId: admin.user.id },
    });
    await asAdmin('delete', `/admin/sessions/${user.session.id}`).expect(204); // already ended: no-op
    expect(await events('session.revoked', user.user.id)).toHaveLength(1);
    await asAdmin('delete', `/admin/sessions/${randomUUID()}`).expect(404);
  });

  it('revokes all sessions of a user', async () => {
    const user = await signedInUser(t);
    const second = await login(t, user.email, { device: { id: 'device-second-1' } });
    const res = await asAdmin('post', `/admin/users/${user.user.id}/sessions/revoke`).expect(200);
    expect(res.body).toEqual({ revoked: 2 });
    await t.http
      .get('/auth/me')
      .set(...bearer(second.accessToken))
      .expect(401);
    await asAdmin('post', `/admin/users/${user.user.id}/sessions/revoke`).expect(200, {
      revoked: 0,
    });
    await asAdmin('post', `/admin/users/${randomUUID()}/sessions/revoke`).expect(404);
  });

  it('reports session statistics', async () => {
    const before = (await asAdmin('get', '/admin/sessions/stats').expect(200)).body;
    const user = await signedInUser(t, { device: { id: 'device-stats-1', platform: 'ios' } });
    await asAdmin('delete', `/admin/sessions/${user.session.id}`).expect(204);
    await signedInUser(t, { device: { id: 'device-stats-2', platform: 'ios' } });
    const after = (await asAdmin('get', '/admin/sessions/stats').expect(200)).body;
    expect(after.activeNow).toBe(before.activeNow + 1);
    expect(after.last24h.created).toBe(before.last24h.created + 2);
    expect(after.last24h.revoked).toBe(before.last24h.revoked + 1);
    expect(after.revokedByReason.admin).toBe((before.revokedByReason.admin ?? 0) + 1);
    expect(after.activeByPlatform.ios).toBe((before.activeByPlatform.ios ?? 0) + 1);
    expect(after.generatedAt).toBe(t.clock.now().toISOString());

    t.clock.advance(25 * 3_600_000); // everything above leaves the 24-hour window
    t.clock.advance(30_000); // a fresh TOTP step
    const again = await loginWithSecondFactor(t, admin.email, {
      method: 'totp',
      code: await totpCode(t, admin.totpSecret),
    });
    admin = { ...admin, ...again };
    const later = (await asAdmin('get', '/admin/sessions/stats').expect(200)).body;
    // Only the admin's fresh login (just now) is inside the window.
    expect(later.last24h).toEqual({ created: 1, revoked: 0, expired: expect.any(Number) });
  });
});
