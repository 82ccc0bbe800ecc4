/**
 * The hot paths' statements, counted: GET /auth/me is one statement for a token's first call and
 * none after (CurrentSessionCache), GET /sessions one, a refresh one locking read plus one
 * rotation statement, a login no more than its budget. The cache is kept exact by the lifecycle
 * events: a role change, a lock, a device rename or trust, a revocation show on the very next
 * call, on this instance and (PostgreSQL) on another one as soon as the cluster bus has told it.
 *
 * Counting (test/support/query-counter.ts): pg's Client.prototype.query is wrapped and
 * each query attributed to the request id the app keeps in AsyncLocalStorage. The outbox relay
 * is stopped in the counting suite: it is kicked at commit from inside the request and would
 * otherwise count its own (asynchronous, after-the-response) statements as the request's.
 */
import { randomUUID } from 'node:crypto';
import { AccessTokenGuard } from '../src/auth/guards/access-token.guard';
import { ClusterBus } from '../src/events/cluster-bus';
import { OutboxRelay } from '../src/events/outbox-relay.service';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import {
  bearer,
  cookieLogin,
  login,
  PASSWORD,
  register,
  signedInUser,
  type TokenBody,
  uniqueEmail,
} from './support/auth-client';
import { CookieJar } from './support/cookie-jar';
import { QueryCounter } from './support/query-counter';
import { createTestApp, type TestApp } from './support/test-app';
import { serverUrl } from './support/test-database';

const counter = new QueryCounter();

/** Statements that are not a round trip of their own worth counting apart. */
const isTransactionControl = (sql: string): boolean =>
  /^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK)/i.test(sql);

describe('hot paths: statements per request', () => {
  let t: TestApp;

  beforeAll(async () => {
    counter.install();
    t = await createTestApp();
    // See the header: the relay's after-commit work would be attributed to the request.
    await t.app.get(OutboxRelay).beforeApplicationShutdown();
  });

  afterAll(async () => {
    await t.close();
    counter.uninstall();
  });

  async function counted(
    method: 'get' | 'post',
    path: string,
    options: { token?: string; body?: object; userAgent?: string } = {},
  ): Promise<{ status: number; body: Record<string, unknown>; queries: string[] }> {
    const requestId = `hot-path-${randomUUID()}`;
    let req = t.http[method](path).set('X-Request-Id', requestId);
    if (options.token) req = req.set(...bearer(options.token));
    if (options.userAgent) req = req.set('User-Agent', options.userAgent);
    const res = options.body ? await req.send(options.body) : await req;
    expect(res.headers['x-request-id']).toBe(requestId);
    return { status: res.status, body: res.body, queries: counter.queriesOf(requestId) };
  }

  it('GET /auth/me costs one statement per access token, none after, and still answers user and session', async () => {
    const user = await signedInUser(t);
    const expected = {
      user: { id: user.user.id, email: user.user.email, roles: ['user'], locked: false },
      session: { id: user.session.id, current: true, status: 'active' },
    };
    const me = await counted('get', '/auth/me', { token: user.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject(expected);
    expect(me.queries).toHaveLength(1);

    t.clock.advance(5_000);
    const warm = await counted('get', '/auth/me', { token: user.accessToken });
    expect(warm.status).toBe(200);
    expect(warm.body).toMatchObject(expected);
    expect(warm.queries).toHaveLength(0);
    // The activity of this very call, as the activity flush will write it.
    const session = warm.body.session as { lastActiveAt: string; idleExpiresAt: string };
    expect(session.lastActiveAt).toBe(t.clock.now().toISOString());
    expect(Date.parse(session.idleExpiresAt)).toBeGreaterThan(
      Date.parse((me.body.session as { idleExpiresAt: string }).idleExpiresAt),
    );

    // A refresh brings a new access token: its first call reads the session as refreshed.
    const refreshed = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: user.refreshToken })
      .expect(200);
    const after = await counted('get', '/auth/me', {
      token: (refreshed.body as TokenBody).accessToken,
    });
    expect(after.status).toBe(200);
    expect(after.queries).toHaveLength(1);
  });

  it('GET /auth/me is answered before Nest’s guards (the fast path); other spellings and refusals take the Nest route, which answers alike', async () => {
    const user = await signedInUser(t);
    const email = uniqueEmail('me-fast');
    await register(t, email);
    const jar = new CookieJar();
    const browser = await cookieLogin(t, email, jar);
    const guard = jest.spyOn(t.app.get(AccessTokenGuard), 'canActivate');
    const answer = (res: { status: number; body: unknown; headers: Record<string, string> }) => ({
      status: res.status,
      body: res.body,
      type: res.headers['content-type'],
      cache: res.headers['cache-control'],
    });
    try {
      const fastBearer = await t.http.get('/auth/me').set(...bearer(user.accessToken));
      const fastCookie = await t.http.get('/auth/me').set('Cookie', jar.header());
      expect(guard).not.toHaveBeenCalled();

      const nestBearer = await t.http.get('/auth/me/').set(...bearer(user.accessToken));
      const nestCookie = await t.http.get('/auth/me?from=test').set('Cookie', jar.header());
      expect(guard).toHaveBeenCalledTimes(2);
      expect(answer(fastBearer)).toEqual(answer(nestBearer));
      expect(answer(fastCookie)).toEqual(answer(nestCookie));
      expect(fastBearer.status).toBe(200);
      expect(fastBearer.body.session.id).toBe(user.session.id);
      expect(fastBearer.body).not.toHaveProperty('csrfToken');
      expect(fastCookie.body.session.id).toBe(browser.sessionId);
      expect(fastCookie.body.csrfToken).toBe(browser.csrfToken);

      // A refusal on the plain spelling goes on to the Nest route: the guard answers it.
      await t.http
        .post('/auth/logout')
        .set(...bearer(user.accessToken))
        .expect(204);
      guard.mockClear();
      const refused = await t.http.get('/auth/me').set(...bearer(user.accessToken));
      expect(guard).toHaveBeenCalledTimes(1);
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.body.code).toBe('session_revoked');
    } finally {
      guard.mockRestore();
    }
  });

  it('GET /sessions costs one statement', async () => {
    const user = await signedInUser(t);
    await login(t, user.user.email);
    const list = await counted('get', '/sessions', { token: user.accessToken });
    expect(list.status).toBe(200);
    expect((list.body.items as unknown[]).length).toBe(2);
    expect(list.queries).toHaveLength(1);
  });

  it('a refresh is one locking read and one rotation statement (plus its event)', async () => {
    const user = await signedInUser(t);
    const refreshed = await counted('post', '/auth/refresh', {
      userAgent: 'TesseraTest/1.0',
      body: { refreshToken: user.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body).toMatchObject({ session: { id: user.session.id } });
    const work = refreshed.queries.filter((sql) => !isTransactionControl(sql));
    // The locking read, the rotation CTE, the session.refreshed outbox row.
    expect(work).toHaveLength(3);
    expect(work[0]).toMatch(/FOR UPDATE OF s$/);
    expect(work[1]).toMatch(/^WITH won AS \( UPDATE refresh_tokens/);
    expect(work[2]).toMatch(/^INSERT INTO outbox_events/);
  });

  it('a login stays within its statement budget and reads nothing back', async () => {
    const email = uniqueEmail('budget');
    await register(t, email);
    const device = { id: 'budget-device-1' };
    // First login from the device: it is registered (device.new); the second finds it.
    const first = await counted('post', '/auth/login', {
      body: { email, password: PASSWORD, device },
    });
    const again = await counted('post', '/auth/login', {
      body: { email, password: PASSWORD, device },
    });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect((again.body as unknown as TokenBody).session).toMatchObject({
      current: true,
      device: { name: expect.any(String) as string, trusted: false },
    });
    const work = (queries: string[]): string[] => queries.filter((s) => !isTransactionControl(s));
    // Before: 16 statements (17 from a new device) + 4 BEGIN/COMMIT and the view read back.
    // Now: account, device-known and counters (read together), the second factors (one read
    // across the mfa module's tables; recovery codes are counted only when there is a factor),
    // then in the transaction the user lock, the device upsert, the active sessions, session +
    // refresh token, and one INSERT for all the login's outbox rows (device.new among them).
    expect(work(again.queries)).toHaveLength(9);
    expect(work(first.queries)).toHaveLength(9);
    // Outbox rows per INSERT: session.created and auth.login.succeeded (+ device.new).
    const outboxRows = (queries: string[]): number[] =>
      queries
        .filter((sql) => sql.startsWith('INSERT INTO outbox_events'))
        .map((sql) => sql.split('), (').length);
    expect(outboxRows(first.queries)).toEqual([3]);
    expect(outboxRows(again.queries)).toEqual([2]);
    // One transaction; nothing written outside it; the session is not read back.
    expect(again.queries.filter((s) => /^START TRANSACTION/.test(s))).toHaveLength(1);
    expect(again.queries.some((s) => /FROM sessions s LEFT JOIN devices/.test(s))).toBe(false);
  });
});

describe('GET /auth/me is never stale', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  }, ADMIN_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await t.close();
  });

  it(
    'shows a role change, a device rename and trust, and a lock on the very next call',
    async () => {
      const admin = await signedInAdmin(t);
      const user = await signedInUser(t);
      const me = () => t.http.get('/auth/me').set(...bearer(user.accessToken));
      expect((await me().expect(200)).body.user.roles).toEqual(['user']);

      await t.http
        .patch(`/admin/users/${user.user.id}`)
        .set(...bearer(admin.accessToken))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      expect((await me().expect(200)).body.user.roles).toEqual(['admin', 'user']);

      const deviceId = ((await me().expect(200)).body.session.device as { id: string }).id;
      await t.http
        .patch(`/devices/${deviceId}`)
        .set(...bearer(user.accessToken))
        .send({ name: 'Renamed laptop' })
        .expect(204);
      expect((await me().expect(200)).body.session.device).toMatchObject({
        name: 'Renamed laptop',
        trusted: false,
      });
      await t.http
        .post(`/devices/${deviceId}/trust`)
        .set(...bearer(user.accessToken))
        .expect(204);
      expect((await me().expect(200)).body.session.device.trusted).toBe(true);

      await t.http
        .patch(`/admin/users/${user.user.id}`)
        .set(...bearer(admin.accessToken))
        .send({ locked: true })
        .expect(200);
      const locked = await me();
      // Locking revokes the user's sessions: the token is refused at once.
      expect(locked.status).toBe(401);
      expect(locked.body.code).toBe('session_revoked');
    },
    ADMIN_SETUP_TIMEOUT_MS,
  );

  it('a warm answer is served from memory: a write behind the app’s back is not read', async () => {
    const user = await signedInUser(t);
    const me = () => t.http.get('/auth/me').set(...bearer(user.accessToken));
    expect((await me().expect(200)).body.user.displayName).toBeNull();
    // No lifecycle event, no route (there is none for the display name): not seen while cached.
    await t.dataSource.query(`UPDATE users SET display_name = $2 WHERE id = $1`, [
      user.user.id,
      'Behind the back',
    ]);
    expect((await me().expect(200)).body.user.displayName).toBeNull();
    // A new access token reads afresh.
    const again = await login(t, user.user.email);
    const fresh = await t.http
      .get('/auth/me')
      .set(...bearer(again.accessToken))
      .expect(200);
    expect(fresh.body.user.displayName).toBe('Behind the back');
  });

  it('a logged-out session is refused at once', async () => {
    const user = await signedInUser(t);
    await t.http
      .get('/auth/me')
      .set(...bearer(user.accessToken))
      .expect(200);
    await t.http
      .post('/auth/logout')
      .set(...bearer(user.accessToken))
      .expect(204);
    const res = await t.http.get('/auth/me').set(...bearer(user.accessToken));
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('session_revoked');
  });
});

const withServer = serverUrl() ? describe : describe.skip;

/**
 * Two instances on one PostgreSQL database, each with its own cache and its own cluster bus
 * connection. B's answer is warm (no statement); each change goes through A; once B's bus has
 * delivered the change's message, B's very next answer shows it.
 */
withServer('GET /auth/me across two instances (PostgreSQL)', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    counter.install();
    a = await createTestApp();
    b = await createTestApp({ databaseUrl: a.config.databaseUrl });
  }, ADMIN_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await b?.close();
    await a?.close();
    counter.uninstall();
  });

  /** Resolves when B's bus delivers a message on `channel` about `id` (user or session). */
  function delivered(channel: 'user_changed' | 'session_ended', id: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${channel} for ${id} on B`)), 5000);
      b.app.get(ClusterBus).subscribe(channel, (message) => {
        const ids = 'u' in message ? [message.u] : message.ids;
        if (!ids.includes(id)) return;
        clearTimeout(timer);
        resolve();
      });
    });
  }

  interface MeBody {
    code?: string;
    user: { roles: string[] };
    session: { device: { name: string } };
  }

  async function meOnB(
    token: string,
  ): Promise<{ status: number; body: MeBody; queries: string[] }> {
    // One time for both instances (each test app has its own manual clock).
    b.clock.set(a.clock.nowMs());
    const requestId = `me-b-${randomUUID()}`;
    const res = await b.http
      .get('/auth/me')
      .set('X-Request-Id', requestId)
      .set(...bearer(token));
    return { status: res.status, body: res.body, queries: counter.queriesOf(requestId) };
  }

  it(
    'a role change, a device rename and a revocation made on A are never served stale by B',
    async () => {
      const admin = await signedInAdmin(a);
      const user = await signedInUser(a);
      const deviceId = user.session.device?.id as string;
      const cold = await meOnB(user.accessToken);
      expect(cold.status).toBe(200);
      expect(cold.queries).toHaveLength(1);
      const warm = await meOnB(user.accessToken);
      expect(warm.queries).toHaveLength(0);
      expect(warm.body.user.roles).toEqual(['user']);

      const roles = delivered('user_changed', user.user.id);
      await a.http
        .patch(`/admin/users/${user.user.id}`)
        .set(...bearer(admin.accessToken))
        .send({ roles: ['user', 'admin'] })
        .expect(200);
      await roles;
      expect((await meOnB(user.accessToken)).body.user.roles).toEqual(['admin', 'user']);
      expect((await meOnB(user.accessToken)).queries).toHaveLength(0);

      const renamed = delivered('user_changed', user.user.id);
      await a.http
        .patch(`/devices/${deviceId}`)
        .set(...bearer(user.accessToken))
        .send({ name: 'Renamed on A' })
        .expect(204);
      await renamed;
      expect((await meOnB(user.accessToken)).body.session.device.name).toBe('Renamed on A');

      const ended = delivered('session_ended', user.session.id);
      await a.http
        .post('/auth/logout')
        .set(...bearer(user.accessToken))
        .expect(204);
      await ended;
      const revoked = await meOnB(user.accessToken);
      expect(revoked.status).toBe(401);
      expect(revoked.body.code).toBe('session_revoked');
    },
    ADMIN_SETUP_TIMEOUT_MS,
  );
});
