import { randomUUID } from 'node:crypto';
import type { AuditEntry } from '../src/audit/audit-entry';
import { AuditService } from '../src/audit/audit.service';
import { bearer, signedInUser } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

const DAY = 86_400_000;

describe('audit trail: hash chain, idempotency, query, export, retention', () => {
  let t: TestApp;
  let audit: AuditService;
  let adminToken: string;

  beforeAll(async () => {
    // The failing-listener test makes the relay log warnings on purpose: keep them out of the output.
    t = await createTestApp({ logs: [] });
    audit = t.app.get(AuditService);
    const admin = await signedInAdmin(t);
    adminToken = admin.accessToken;
    for (let i = 0; i < 3; i += 1) await signedInUser(t);
    await drainEvents(t);
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  const verify = async (): Promise<{
    ok: boolean;
    checked: number;
    firstBrokenId: string | null;
  }> =>
    (
      await t.http
        .get('/admin/audit/verify')
        .set(...bearer(adminToken))
        .expect(200)
    ).body;

  async function chain(): Promise<Array<{ seq: string; event_id: string; ip: string | null }>> {
    return t.dataSource.query(`SELECT seq, event_id, ip FROM audit_records ORDER BY seq`);
  }

  it('verifies an intact chain and is admin-only', async () => {
    const result = await verify();
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM audit_records`);
    expect(result).toEqual({ ok: true, checked: n, firstBrokenId: null });
    expect(n).toBeGreaterThan(10);
    const user = await signedInUser(t);
    await drainEvents(t); // nothing may be appended behind the next tests' backs
    const res = await t.http
      .get('/admin/audit/verify')
      .set(...bearer(user.accessToken))
      .expect(403);
    expect(res.body.code).toBe('forbidden');
    await t.http.get('/admin/audit/verify').expect(401);
  });

  it('detects an edited record, and a deleted one, naming the first broken record', async () => {
    const rows = await chain();
    const target = rows[Math.floor(rows.length / 2)];
    await t.dataSource.query(`UPDATE audit_records SET ip = '203.0.113.66' WHERE seq = $1`, [
      target.seq,
    ]);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: target.event_id });
    await t.dataSource.query(`UPDATE audit_records SET ip = $2 WHERE seq = $1`, [
      target.seq,
      target.ip,
    ]);
    expect((await verify()).ok).toBe(true);

    // Deleting a record breaks the link of the one after it.
    const [saved] = await t.dataSource.query(`SELECT * FROM audit_records WHERE seq = $1`, [
      target.seq,
    ]);
    const next = rows[rows.indexOf(target) + 1];
    await t.dataSource.query(`DELETE FROM audit_records WHERE seq = $1`, [target.seq]);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: next.event_id });
    const columns = Object.keys(saved);
    await t.dataSource.query(
      `INSERT INTO audit_records (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      columns.map((c) => (c === 'data' ? JSON.stringify(saved[c]) : saved[c])),
    );
    expect((await verify()).ok).toBe(true);

    // Deleting the newest record is caught by the chain head.
    const last = rows[rows.length - 1];
    const [savedLast] = await t.dataSource.query(`SELECT * FROM audit_records WHERE seq = $1`, [
      last.seq,
    ]);
    await t.dataSource.query(`DELETE FROM audit_records WHERE seq = $1`, [last.seq]);
    expect(await verify()).toMatchObject({ ok: false, firstBrokenId: last.event_id });
    await t.dataSource.query(
      `INSERT INTO audit_records (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
      columns.map((c) => (c === 'data' ? JSON.stringify(savedLast[c]) : savedLast[c])),
    );
    expect((await verify()).ok).toBe(true);
  });

  it('writes an event once, however often or concurrently it is delivered', async () => {
    const entry: AuditEntry = {
      eventId: randomUUID(),
      type: 'device.trusted',
      occurredAt: t.clock.now(),
      userId: randomUUID(),
      actorId: null,
      sessionId: null,
      deviceId: randomUUID(),
      ip: null,
      userAgent: null,
      outcome: 'success',
      reason: null,
      data: {},
    };
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => audit.append(entry)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_records WHERE event_id = $1`,
      [entry.eventId],
    );
    expect(n).toBe(1);

    // A replay of the whole outbox (as after a crash before `published_at` was set) adds nothing.
    const before = (await chain()).length;
    const [{ alerts }] = await t.dataSource.query(`SELECT count(*)::int AS alerts FROM alerts`);
    await t.dataSource.query(`UPDATE outbox_events SET published_at = NULL, claimed_until = NULL`);
    await drainEvents(t);
    expect((await chain()).length).toBe(before);
    expect((await t.dataSource.query(`SELECT count(*)::int AS alerts FROM alerts`))[0].alerts).toBe(
      alerts,
    );
    expect((await verify()).ok).toBe(true);
  });

  it('retries an event whose audit write failed, so no record is lost', async () => {
    await t.dataSource.query(`ALTER TABLE audit_records RENAME TO audit_records_away`);
    let user: Awaited<ReturnType<typeof signedInUser>>;
    try {
      user = await signedInUser(t);
      await t.flushEvents();
      const [pending] = await t.dataSource.query(
        `SELECT count(*)::int AS n, max(last_error) AS error FROM outbox_events WHERE published_at IS NULL`,
      );
      expect(pending.n).toBeGreaterThan(0);
      expect(pending.error).toMatch(/audit_records/);
    } finally {
      await t.dataSource.query(`ALTER TABLE audit_records_away RENAME TO audit_records`);
    }
    // The relay backs off; skip the wait instead of sleeping.
    await t.dataSource.query(
      `UPDATE outbox_events SET claimed_until = NULL WHERE published_at IS NULL`,
    );
    await drainEvents(t);
    const page = await t.http
      .get('/admin/audit')
      .query({ userId: user.user.id })
      .set(...bearer(adminToken))
      .expect(200);
    expect((page.body.items as Array<{ type: string }>).map((i) => i.type).sort()).toEqual(
      ['auth.login.succeeded', 'device.new', 'session.created', 'user.registered'].sort(),
    );
    expect((await verify()).ok).toBe(true);
  });

  it('filters by user, session, type and time, with keyset pagination', async () => {
    const user = await signedInUser(t);
    await t.http.post('/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
    await drainEvents(t);
    const get = async (
      query: Record<string, string | number>,
    ): Promise<Array<{ type: string; sessionId: string }>> =>
      (
        await t.http
          .get('/admin/audit')
          .query(query)
          .set(...bearer(adminToken))
          .expect(200)
      ).body.items;
    expect((await get({ sessionId: user.session.id })).map((i) => i.type)).toEqual([
      'session.refreshed',
      'auth.login.succeeded',
      'session.created',
    ]);
    expect(await get({ userId: user.user.id, type: 'session.refreshed' })).toHaveLength(1);
    const now = t.clock.now();
    expect(
      await get({ userId: user.user.id, from: new Date(now.getTime() + 1000).toISOString() }),
    ).toHaveLength(0);
    expect(
      await get({ userId: user.user.id, to: new Date(now.getTime() + 1000).toISOString() }),
    ).toHaveLength(5);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: Array<{ id: string }>; nextCursor: string | null } } =
        await t.http
          .get('/admin/audit')
          .query({ limit: 4, ...(cursor ? { cursor } : {}) })
          .set(...bearer(adminToken))
          .expect(200);
      seen.push(...res.body.items.map((i) => i.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe((await chain()).length);

    const bad = await t.http
      .get('/admin/audit')
      .query({ cursor: 'nonsense' })
      .set(...bearer(adminToken))
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    await t.http
      .get('/admin/audit')
      .query({ limit: 201 })
      .set(...bearer(adminToken))
      .expect(400);
    // /me/activity cannot be pointed at someone else.
    await t.http
      .get('/me/activity')
      .query({ userId: user.user.id })
      .set(...bearer(adminToken))
      .expect(400);
  });

  it('exports a time range as JSON Lines, oldest first, with the chain fields', async () => {
    const rows = await chain();
    const all: Array<Record<string, unknown>> = [];
    for await (const line of audit.exportJsonLines()) {
      expect(line.endsWith('\n')).toBe(true);
      all.push(JSON.parse(line) as Record<string, unknown>);
    }
    expect(all.map((r) => r.id)).toEqual(rows.map((r) => r.event_id));
    expect(all[1].prevHash).toBe(all[0].hash);
    const from = new Date(all[2].occurredAt as string);
    const ranged: unknown[] = [];
    for await (const record of audit.export({ from, to: new Date(from.getTime() + 1) }))
      ranged.push(record);
    expect(ranged.length).toBeGreaterThan(0);
    expect(
      ranged.every((r) => (r as { occurredAt: string }).occurredAt === from.toISOString()),
    ).toBe(true);
  });

  it('purges past retention behind a checkpoint, and the rest still verifies', async () => {
    const before = (await chain()).length;
    t.clock.advance(t.config.auditRetentionMs + DAY);
    const fresh = await signedInUser(t);
    await drainEvents(t);
    const purged = await audit.purge();
    expect(purged).toBe(before);
    const remaining = await t.dataSource.query(
      `SELECT type, user_id FROM audit_records ORDER BY seq`,
    );
    expect(remaining.map((r: { type: string }) => r.type)).toEqual([
      'user.registered',
      'device.new',
      'session.created',
      'auth.login.succeeded',
      'audit.purged',
    ]);
    expect(remaining[0].user_id).toBe(fresh.user.id);
    const [checkpoint] = await t.dataSource.query(`SELECT purged_count FROM audit_checkpoints`);
    expect(checkpoint.purged_count).toBe(before);
    // Admin tokens have long expired: ask the service, as the CLI does.
    expect(await audit.verify()).toEqual({ ok: true, checked: 5, firstBrokenId: null });
    expect(await audit.purge()).toBe(0);

    // The first record after the checkpoint is still bound to it.
    const [first] = await t.dataSource.query(
      `SELECT seq, event_id FROM audit_records ORDER BY seq LIMIT 1`,
    );
    await t.dataSource.query(
      `UPDATE audit_records SET prev_hash = repeat('0', 64) WHERE seq = $1`,
      [first.seq],
    );
    expect(await audit.verify()).toMatchObject({ ok: false, firstBrokenId: first.event_id });
  });
});
