/**
 * "The guard does no database query for a valid token", shown by counting queries.
 *
 * How the queries are counted: pg's Client.prototype.query is wrapped for the duration of this
 * suite. Every query the app sends goes through it, on both engines (TypeORM's pool uses pg
 * clients for the PostgreSQL server and, through PGlite's node-postgres adapter, for the
 * embedded database too). Each query is attributed to the request it was issued for, by the
 * request id the app keeps in AsyncLocalStorage (src/common/request-context.ts); background
 * work (outbox relay, activity flush, expiry sweep) has no request id and cannot blur the count.
 * A positive control (GET /auth/me, whose handler reads the database) proves the counter sees
 * the app's queries.
 *
 * Which request isolates the guard: every authenticated route's handler reads the database,
 * but Nest runs guards before pipes. DELETE /sessions/not-a-uuid passes the global guard with a
 * valid token and is then refused by the handler's ParseUUIDPipe (400) before the handler
 * runs. So that whole request — token verification, the revocation check, activity tracking,
 * the roles guard — must cost zero queries; its 400 (not 401) proves the guard accepted the
 * token. The same holds for refusals: a revoked session's token or a forged one is refused
 * from memory.
 */
import { randomUUID } from 'node:crypto';
import { bearer, login, signedInUser } from './support/auth-client';
import { QueryCounter } from './support/query-counter';
import { createTestApp, type TestApp } from './support/test-app';

const counter = new QueryCounter();

describe('the access-token guard does no database query', () => {
  let t: TestApp;

  beforeAll(async () => {
    counter.install();
    t = await createTestApp();
  });

  afterAll(async () => {
    await t.close();
    counter.uninstall();
  });

  /** Sends the request under a fresh X-Request-Id and returns it with the queries it caused. */
  async function counted(
    method: 'get' | 'delete',
    path: string,
    token?: string,
  ): Promise<{ status: number; body: Record<string, unknown>; queries: string[] }> {
    const requestId = `guard-probe-${randomUUID()}`;
    let req = t.http[method](path).set('X-Request-Id', requestId);
    if (token) req = req.set(...bearer(token));
    const res = await req;
    expect(res.headers['x-request-id']).toBe(requestId);
    return { status: res.status, body: res.body, queries: counter.queriesOf(requestId) };
  }

  it('sees the queries of a handler that reads the database (positive control)', async () => {
    const user = await signedInUser(t);
    const me = await counted('get', '/auth/me', user.accessToken);
    expect(me.status).toBe(200);
    expect(me.queries.length).toBeGreaterThan(0);
  });

  it('authenticates a valid token with zero queries, whether or not it was verified before', async () => {
    const user = await signedInUser(t);
    // First use of this token string: a full signature verification (not yet cached).
    const first = await counted('delete', '/sessions/not-a-uuid', user.accessToken);
    expect(first).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(first.queries).toEqual([]);
    // Again: the verified-token cache, still with the revocation check.
    const again = await counted('delete', '/sessions/not-a-uuid', user.accessToken);
    expect(again).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(again.queries).toEqual([]);
  });

  it('refuses a revoked session’s token and a forged token with zero queries', async () => {
    const user = await signedInUser(t);
    const other = await login(t, user.email);
    await t.http
      .post('/auth/logout')
      .set(...bearer(other.accessToken))
      .expect(204);

    const revoked = await counted('delete', '/sessions/not-a-uuid', other.accessToken);
    expect(revoked).toMatchObject({ status: 401, body: { code: 'session_revoked' } });
    expect(revoked.queries).toEqual([]);

    const [header, payload] = user.accessToken.split('.');
    const forged = await counted('delete', '/sessions/not-a-uuid', `${header}.${payload}.AAAA`);
    expect(forged).toMatchObject({ status: 401, body: { code: 'token_invalid' } });
    expect(forged.queries).toEqual([]);

    // The unrevoked session's token still passes, also without a query.
    const valid = await counted('delete', '/sessions/not-a-uuid', user.accessToken);
    expect(valid).toMatchObject({ status: 400 });
    expect(valid.queries).toEqual([]);
  });

  it('answers the gateway endpoint GET /auth/verify with zero queries: accepted, revoked, absent', async () => {
    const user = await signedInUser(t);
    const first = await counted('get', '/auth/verify', user.accessToken);
    expect(first.status).toBe(204);
    expect(first.queries).toEqual([]);
    const again = await counted('get', '/auth/verify', user.accessToken);
    expect(again.status).toBe(204);
    expect(again.queries).toEqual([]);

    const other = await login(t, user.email);
    await t.http
      .post('/auth/logout')
      .set(...bearer(other.accessToken))
      .expect(204);
    const revoked = await counted('get', '/auth/verify', other.accessToken);
    expect(revoked).toMatchObject({ status: 401, body: { code: 'session_revoked' } });
    expect(revoked.queries).toEqual([]);

    const absent = await counted('get', '/auth/verify');
    expect(absent).toMatchObject({ status: 401, body: { code: 'unauthenticated' } });
    expect(absent.queries).toEqual([]);
  });
});
