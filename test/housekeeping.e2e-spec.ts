import { LoginProtectionPruner } from '../src/auth/throttling/login-protection-pruner.service';
import { PasswordResetTokenPruner } from '../src/auth/passwords/password-reset-token-pruner.service';
import { OutboxPruner } from '../src/events/outbox-pruner.service';
import { register, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

const LOCKOUT_MS = 15 * 60_000;
const RESET_TTL_MS = 30 * 60_000;
const OUTBOX_RETENTION_MS = 7 * 24 * 3600_000;

/** The hourly pruners delete dead rows only, in batches, and keep everything still in use. */
describe('housekeeping: pruning dead rows', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { LOCKOUT_DURATION: '15m', PASSWORD_RESET_TTL: '30m', OUTBOX_RETENTION: '7d' },
    });
  });
  afterAll(() => t.close());

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const [row] = await t.dataSource.query<Array<{ n: number }>>(sql, params);
    return row.n;
  }

  async function failLogin(email: string): Promise<void> {
    await t.http.post('/auth/login').send({ email, password: 'wrong password!!' }).expect(401);
  }

  it('deletes login counters only once they have fully decayed (2 × LOCKOUT_DURATION)', async () => {
    const old = await register(t);
    await failLogin(old.email);
    await failLogin(uniqueEmail('nobody')); // unknown accounts are counted too
    t.clock.advance(2 * LOCKOUT_MS - 1000);
    const recent = await register(t);
    await failLogin(recent.email);
    const recentRows = await count(
      'SELECT count(*)::int AS n FROM login_protection WHERE last_failure_at >= $1',
      [t.clock.now()],
    );
    expect(recentRows).toBeGreaterThan(0);
    t.clock.advance(2000); // the first failures are now just past decay, the recent one is not

    expect(await t.app.get(LoginProtectionPruner).prune(1)).toBeGreaterThanOrEqual(2);
    const cutoff = new Date(t.clock.nowMs() - 2 * LOCKOUT_MS);
    expect(
      await count('SELECT count(*)::int AS n FROM login_protection WHERE last_failure_at < $1', [
        cutoff,
      ]),
    ).toBe(0);
    expect(
      await count('SELECT count(*)::int AS n FROM login_protection WHERE last_failure_at >= $1', [
        cutoff,
      ]),
    ).toBe(recentRows);
  });

  it('deletes expired password reset tokens and keeps unexpired ones usable', async () => {
    const first = await register(t);
    await t.http.post('/auth/password/forgot').send({ email: first.email }).expect(202);
    t.clock.advance(RESET_TTL_MS + 1000);
    const second = await register(t);
    await t.http.post('/auth/password/forgot').send({ email: second.email }).expect(202);
    const byUser = (id: string): Promise<number> =>
      count('SELECT count(*)::int AS n FROM password_reset_tokens WHERE user_id = $1', [id]);
    expect(await byUser(first.id)).toBe(1);

    expect(await t.app.get(PasswordResetTokenPruner).prune()).toBeGreaterThanOrEqual(1);
    expect(await byUser(first.id)).toBe(0);
    expect(await byUser(second.id)).toBe(1);
  });

  it('deletes published outbox events past OUTBOX_RETENTION, never newer ones', async () => {
    await register(t);
    await t.flushEvents();
    const publishedBefore = t.clock.now();
    t.clock.advance(OUTBOX_RETENTION_MS + 1000);
    await register(t);
    await t.flushEvents();

    const old = 'SELECT count(*)::int AS n FROM outbox_events WHERE published_at <= $1';
    expect(await count(old, [publishedBefore])).toBeGreaterThan(0);
    const newer = await count(
      'SELECT count(*)::int AS n FROM outbox_events WHERE published_at > $1',
      [publishedBefore],
    );
    expect(newer).toBeGreaterThan(0);

    expect(await t.app.get(OutboxPruner).prune(1)).toBeGreaterThan(0);
    expect(await count(old, [publishedBefore])).toBe(0);
    expect(
      await count('SELECT count(*)::int AS n FROM outbox_events WHERE published_at > $1', [
        publishedBefore,
      ]),
    ).toBe(newer);
  });
});
