/**
 * A relay instance that shuts down gracefully deletes its heartbeat row and releases any outbox
 * claims it still holds, so the other instances need not wait for the heartbeat to go stale
 * (RELAY_OWNER_TIMEOUT_SECONDS) or a lease to run out. Two apps share one PostgreSQL database
 * (embedded PostgreSQL is one per process), so this runs with DATABASE_URL only.
 */
import { RelayHeartbeat } from '../src/events/relay-heartbeat.service';
import { register } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';
import {
  createMigratedScratchDatabase,
  type ScratchDatabase,
  serverUrl,
} from './support/test-database';

const server = serverUrl();
const withServer = server ? describe : describe.skip;

withServer('outbox relay: graceful shutdown', () => {
  let database: ScratchDatabase;
  let a: TestApp | undefined;
  let b: TestApp;

  beforeAll(async () => {
    database = await createMigratedScratchDatabase(server ?? '');
    a = await createTestApp({ databaseUrl: database.url });
    b = await createTestApp({ databaseUrl: database.url });
  }, 120_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await database?.drop();
  });

  async function instances(): Promise<string[]> {
    const rows = await b.dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM outbox_relay_instances',
    );
    return rows.map((row) => row.id).sort();
  }

  it('deletes the heartbeat row and releases the claims of an instance that closes', async () => {
    const stopping = a as TestApp;
    const aId = stopping.app.get(RelayHeartbeat).instanceId;
    const bId = b.app.get(RelayHeartbeat).instanceId;
    await stopping.app.get(RelayHeartbeat).registered();
    await b.app.get(RelayHeartbeat).registered();
    expect(await instances()).toEqual([aId, bId].sort());

    // An event A claimed for an hour and has not published yet.
    await register(b);
    await b.flushEvents();
    const [{ id: eventId }] = await b.dataSource.query<Array<{ id: string }>>(
      'SELECT id FROM outbox_events ORDER BY seq DESC LIMIT 1',
    );
    await b.dataSource.query(
      `UPDATE outbox_events SET published_at = NULL, claimed_by = $2,
              claimed_until = now() + interval '1 hour' WHERE id = $1`,
      [eventId, aId],
    );

    await stopping.close();
    a = undefined;

    expect(await instances()).toEqual([bId]);
    const [claim] = await b.dataSource.query<Array<{ claimed_by: string | null }>>(
      'SELECT claimed_by FROM outbox_events WHERE id = $1',
      [eventId],
    );
    // Released: unowned, or already taken by B's relay, which may pick it up at once.
    expect([null, bId]).toContain(claim.claimed_by);
    // B publishes it now, not an hour later.
    await b.flushEvents();
    const [row] = await b.dataSource.query<Array<{ published: boolean }>>(
      'SELECT published_at IS NOT NULL AS published FROM outbox_events WHERE id = $1',
      [eventId],
    );
    expect(row.published).toBe(true);
  });
});
