/**
 * The hot paths' statements, counted: GET /auth/me is one statement, GET /sessions one, a
 * refresh one locking read plus one rotation statement, a login no more than its budget. And
 * since /auth/me reads the database on every call (no cache), it is never stale: a role
 * change, a display-name change or a revocation shows on the very next call.
 *
 * Counting (test/support/query-counter.ts): pg's Client.prototype.query is wrapped and
 * each query attributed to the request id the app keeps in AsyncLocalStorage. The outbox relay
 * is stopped in the counting suite: it is kicked at commit from inside the request and would
 * otherwise count its own (asynchronous, after-the-response) statements as the request's.
 */
import { randomUUID } from 'node:crypto';
import { OutboxRelay } from '../src/events/outbox-relay.service';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import {
  bearer,
  login,
  PASSWORD,
  register,
  signedInUser,
  type TokenBody,
  uniqueEmail,
} from './support/auth-client';
import { QueryCounter } from './support/query-counter';
import { createTestApp, type TestApp } from './support/test-app';

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

  it('GET /auth/me costs exactly one statement and still answers user and session', async () => {
    const user = await signedInUser(t);
    const me = await counted('get', '/auth/me', { token: user.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      user: { id: user.user.id, email: user.user.email, roles: ['user'], locked: false },
      session: { id: user.session.id, current: true, status: 'active' },
    });
    expect(me.queries).toHaveLength(1);
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
    // Now: account, device-known and counters (read
    // together), 3 second-factor reads (mfa module), then in the transaction the user lock,
    // the device upsert, the active sessions, session + refresh token, 2 outbox rows.
    expect(work(again.queries)).toHaveLength(12);
    expect(work(first.queries)).toHaveLength(13); // + the device.new outbox row
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
    'shows a role change, a display-name change and a revocation on the very next call',
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

      // Any writer of the users row (there is no route for the display name yet).
      await t.dataSource.query(`UPDATE users SET display_name = $2 WHERE id = $1`, [
        user.user.id,
        'Renamed',
      ]);
      expect((await me().expect(200)).body.user.displayName).toBe('Renamed');

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
