import { randomUUID } from 'node:crypto';
import { RelayHeartbeat } from '../src/events/relay-heartbeat.service';
import { register } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * Who may claim an outbox event: the relay takes over claims whose owner stopped heartbeating
 * (a crashed process) at once, and leaves a live owner's claims alone until their lease ends.
 * The crash itself, with real processes, is in crash.e2e-spec.ts; here the claim states are
 * written directly, so nothing waits on wall time.
 */
describe('outbox relay: taking over claims of dead instances', () => {
  let t: TestApp;
  let eventIds: string[];

  beforeAll(async () => {
    t = await createTestApp();
    for (let i = 0; i < 4; i += 1) await register(t);
    await drainEvents(t);
    const rows = await t.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM outbox_events ORDER BY seq DESC LIMIT 4`,
    );
    eventIds = rows.map((row) => row.id);
    if (eventIds.length !== 4)
      throw new Error(`expected 4 outbox events, found ${eventIds.length}`);
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  /** Puts event `id` back as unpublished and claimed by `owner` for `leaseSql` (an interval). */
  async function claimedBy(id: string, owner: string | null, leaseSql: string): Promise<void> {
    await t.dataSource.query(
      `UPDATE outbox_events SET published_at = NULL, claimed_by = $2,
              claimed_until = now() + $3::interval WHERE id = $1`,
      [id, owner, leaseSql],
    );
  }

  async function instance(lastSeenSql: string): Promise<string> {
    const id = randomUUID();
    await t.dataSource.query(
      `INSERT INTO outbox_relay_instances (id, started_at, last_seen)
       VALUES ($1, now() - interval '1 hour', now() + $2::interval)`,
      [id, lastSeenSql],
    );
    return id;
  }

  async function state(id: string): Promise<{ published: boolean; claimedBy: string | null }> {
    const [row] = await t.dataSource.query<
      Array<{ published: boolean; claimed_by: string | null }>
    >(`SELECT published_at IS NOT NULL AS published, claimed_by FROM outbox_events WHERE id = $1`, [
      id,
    ]);
    return { published: row.published, claimedBy: row.claimed_by };
  }

  it('registers this process as a relay instance and keeps its heartbeat fresh', async () => {
    const self = t.app.get(RelayHeartbeat).instanceId;
    const [row] = await t.dataSource.query<Array<{ age: number }>>(
      `SELECT extract(epoch FROM now() - last_seen)::float AS age
         FROM outbox_relay_instances WHERE id = $1`,
      [self],
    );
    expect(row).toBeDefined();
    expect(row.age).toBeLessThan(3);
  });

  it("takes over a dead owner's claims at once, though their lease runs for 30 s more", async () => {
    const [silent, unknown] = eventIds;
    await claimedBy(silent, await instance(`-10 seconds`), '30 seconds');
    // An owner with no heartbeat row at all (e.g. forgotten) is as dead.
    await claimedBy(unknown, randomUUID(), '30 seconds');

    await t.flushEvents();

    expect(await state(silent)).toEqual({ published: true, claimedBy: null });
    expect(await state(unknown)).toEqual({ published: true, claimedBy: null });
  });

  it("leaves a live owner's claims alone until it dies or its lease runs out", async () => {
    const [working, stuck] = eventIds;
    const alive = await instance(`1 hour`);
    await claimedBy(working, alive, '30 seconds');
    await claimedBy(stuck, alive, '-1 second');

    await t.flushEvents();

    expect(await state(working)).toEqual({ published: false, claimedBy: alive });
    // A live owner that overran its lease (a stuck listener) is overtaken, as before.
    expect(await state(stuck)).toEqual({ published: true, claimedBy: null });

    await t.dataSource.query(
      `UPDATE outbox_relay_instances SET last_seen = now() - interval '4 seconds' WHERE id = $1`,
      [alive],
    );
    await t.flushEvents();
    expect(await state(working)).toEqual({ published: true, claimedBy: null });
  });

  it('respects the retry backoff of a released event (no owner), whoever is alive', async () => {
    const [, , backedOff] = eventIds;
    await claimedBy(backedOff, null, '1 minute');

    await t.flushEvents();

    expect(await state(backedOff)).toEqual({ published: false, claimedBy: null });
    await claimedBy(backedOff, null, '-1 second');
    await t.flushEvents();
    expect(await state(backedOff)).toEqual({ published: true, claimedBy: null });
  });
});
