import { ActivityTracker } from '../src/sessions/activity-tracker.service';
import { SessionExpiryService } from '../src/sessions/session-expiry.service';
import { bearer, signedInUser } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('idle and absolute timeouts, remember-me (controllable clock)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Idle shorter than the token lifetime, so the guard is where idle expiry shows first.
    t = await createTestApp({
      env: { SESSION_IDLE_TIMEOUT: '15m', ACCESS_TOKEN_TTL: '15m', SESSION_ABSOLUTE_TIMEOUT: '7d' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  const flushActivity = (): Promise<number> => t.app.get(ActivityTracker).flush();

  it('refuses a session past its idle window with session_expired, at the guard and at refresh', async () => {
    const tokens = await signedInUser(t);
    t.clock.advance(16 * MINUTE);
    const guard = await t.http
      .get('/auth/me')
      .set(...bearer(tokens.accessToken))
      .expect(401);
    expect(guard.body.code).toBe('session_expired');
    const refresh = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(401);
    expect(refresh.body.code).toBe('session_expired');
  });

  it('reports session_expired at refresh too when the guard never saw it', async () => {
    const tokens = await signedInUser(t);
    t.clock.advance(16 * MINUTE);
    const refresh = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(401);
    expect(refresh.body.code).toBe('session_expired');
    await t.flushEvents();
    const rows = await t.dataSource.query(
      `SELECT payload->'data'->>'reason' AS reason FROM outbox_events WHERE type = 'session.expired' AND payload->>'sessionId' = $1`,
      [tokens.session.id],
    );
    // Exactly once, however many times the expiry is noticed.
    await t.http
      .get('/auth/me')
      .set(...bearer(tokens.accessToken))
      .expect(401);
    await t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(401);
    await t.flushEvents();
    const again = await t.dataSource.query(
      `SELECT 1 FROM outbox_events WHERE type = 'session.expired' AND payload->>'sessionId' = $1`,
      [tokens.session.id],
    );
    expect(rows).toEqual([{ reason: 'idle' }]);
    expect(again).toHaveLength(1);
  });

  it('activity inside the window extends it (with coalesced writes)', async () => {
    const tokens = await signedInUser(t);
    t.clock.advance(10 * MINUTE);
    await t.http
      .get('/auth/me')
      .set(...bearer(tokens.accessToken))
      .expect(200);
    // Many requests, no write yet: activity is held in memory...
    for (let i = 0; i < 5; i += 1)
      await t.http
        .get('/auth/me')
        .set(...bearer(tokens.accessToken))
        .expect(200);
    const [before] = await t.dataSource.query(`SELECT last_active_at FROM sessions WHERE id = $1`, [
      tokens.session.id,
    ]);
    // ...and written once, by the flush.
    expect(await flushActivity()).toBe(1);
    const [after] = await t.dataSource.query(
      `SELECT last_active_at, idle_expires_at FROM sessions WHERE id = $1`,
      [tokens.session.id],
    );
    expect(new Date(after.last_active_at).getTime()).toBeGreaterThan(
      new Date(before.last_active_at).getTime(),
    );
    expect(new Date(after.idle_expires_at).getTime()).toBe(t.clock.nowMs() + 15 * MINUTE);

    t.clock.advance(10 * MINUTE); // 20 min after login, 10 after the last activity
    const refreshed = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(200);
    t.clock.advance(14 * MINUTE); // refresh counts as activity too
    await t.http
      .get('/auth/me')
      .set(...bearer(refreshed.body.accessToken))
      .expect(200);
  });

  it('counts activity not yet written when refreshing (no lag from coalescing)', async () => {
    const tokens = await signedInUser(t);
    t.clock.advance(10 * MINUTE);
    await t.http
      .get('/auth/me')
      .set(...bearer(tokens.accessToken))
      .expect(200);
    t.clock.advance(10 * MINUTE); // 20 min after login: only the unwritten activity keeps it alive
    await t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
  });

  it('never lets an access token outlive the idle deadline', async () => {
    const tokens = await signedInUser(t);
    const payload = JSON.parse(
      Buffer.from(tokens.accessToken.split('.')[1], 'base64url').toString(),
    ) as { exp: number; iat: number };
    expect(payload.exp - payload.iat).toBeLessThanOrEqual(15 * 60);
  });

  it('never extends the absolute lifetime, however active the session', async () => {
    // Remember-me (30-day idle) so daily activity keeps it alive; the 7-day cap still holds.
    let tokens = await signedInUser(t, { rememberMe: true });
    for (let elapsed = 0; elapsed < 7 * DAY; elapsed += 12 * 3_600_000) {
      t.clock.advance(12 * 3_600_000);
      const res = await t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken });
      if (res.status !== 200)
        throw new Error(`refresh failed at ${elapsed}: ${JSON.stringify(res.body)}`);
      tokens = res.body;
      if (elapsed >= 6 * DAY) break;
    }
    const [row] = await t.dataSource.query(
      `SELECT expires_at, created_at FROM sessions WHERE id = $1`,
      [tokens.session.id],
    );
    expect(new Date(row.expires_at).getTime() - new Date(row.created_at).getTime()).toBe(7 * DAY);
    const payload = JSON.parse(
      Buffer.from(tokens.accessToken.split('.')[1], 'base64url').toString(),
    ) as { exp: number };
    expect(payload.exp * 1000).toBeLessThanOrEqual(new Date(row.expires_at).getTime());
    t.clock.set(new Date(row.expires_at).getTime() + 1000);
    const res = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: tokens.refreshToken })
      .expect(401);
    expect(res.body.code).toBe('session_expired');
  });

  it('remember-me gets the long idle timeout', async () => {
    const tokens = await signedInUser(t, { rememberMe: true });
    t.clock.advance(3 * DAY);
    await t.http.post('/auth/refresh').send({ refreshToken: tokens.refreshToken }).expect(200);
  });

  it('the scheduled sweep expires overdue sessions in batches, once', async () => {
    const a = await signedInUser(t);
    const b = await signedInUser(t, { rememberMe: true });
    t.clock.advance(20 * MINUTE);
    const expired = await t.app.get(SessionExpiryService).sweep();
    expect(expired).toBeGreaterThanOrEqual(1);
    const rows = await t.dataSource.query(
      `SELECT id, status, end_reason FROM sessions WHERE id = ANY($1::uuid[]) ORDER BY id`,
      [[a.session.id, b.session.id]],
    );
    const byId = Object.fromEntries(
      rows.map((r: { id: string; status: string; end_reason: string | null }) => [r.id, r]),
    );
    expect(byId[a.session.id]).toMatchObject({ status: 'expired', end_reason: 'idle' });
    expect(byId[b.session.id]).toMatchObject({ status: 'active' });
    expect(await t.app.get(SessionExpiryService).sweep()).toBe(0);
  });

  it('the sweep passes over a session active since its first idle deadline, and expires it at its real one', async () => {
    const tokens = await signedInUser(t);
    const deadlines = async (): Promise<{ status: string; idle: number; sweepAt: number }> => {
      const [row] = await t.dataSource.query(
        `SELECT status, idle_expires_at, idle_sweep_at FROM sessions WHERE id = $1`,
        [tokens.session.id],
      );
      return {
        status: row.status,
        idle: new Date(row.idle_expires_at).getTime(),
        sweepAt: new Date(row.idle_sweep_at).getTime(),
      };
    };
    const loginAt = t.clock.nowMs();
    t.clock.advance(10 * MINUTE);
    await t.http
      .get('/auth/me')
      .set(...bearer(tokens.accessToken))
      .expect(200);
    await flushActivity();
    // Activity moved the deadline, not the sweep's bound (so the write stayed HOT).
    expect(await deadlines()).toEqual({
      status: 'active',
      idle: loginAt + 25 * MINUTE,
      sweepAt: loginAt + 15 * MINUTE,
    });

    t.clock.advance(10 * MINUTE); // past the first deadline, before the real one
    await t.app.get(SessionExpiryService).sweep();
    expect(await deadlines()).toEqual({
      status: 'active',
      idle: loginAt + 25 * MINUTE,
      sweepAt: loginAt + 25 * MINUTE,
    });

    t.clock.advance(6 * MINUTE);
    expect(await t.app.get(SessionExpiryService).sweep()).toBeGreaterThanOrEqual(1);
    expect((await deadlines()).status).toBe('expired');
  });

  it('after the upgrade (every bound at -infinity) the first sweep raises live sessions and expires overdue ones', async () => {
    const live = await signedInUser(t, { rememberMe: true });
    const idle = await signedInUser(t);
    // What the migration leaves on sessions that existed before it: the column's first default.
    await t.dataSource.query(
      `UPDATE sessions SET idle_sweep_at = '-infinity' WHERE id = ANY($1::uuid[])`,
      [[live.session.id, idle.session.id]],
    );
    t.clock.advance(20 * MINUTE); // past the short idle timeout only
    await t.app.get(SessionExpiryService).sweep();
    const rows: Array<{ id: string; status: string; raised: boolean }> = await t.dataSource.query(
      `SELECT id, status, idle_sweep_at = idle_expires_at AS raised FROM sessions
        WHERE id = ANY($1::uuid[])`,
      [[live.session.id, idle.session.id]],
    );
    const byId = Object.fromEntries(rows.map((row) => [row.id, row]));
    expect(byId[live.session.id]).toMatchObject({ status: 'active', raised: true });
    expect(byId[idle.session.id]).toMatchObject({ status: 'expired' });
  });
});
