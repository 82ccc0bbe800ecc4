import { randomUUID } from 'node:crypto';
import type { LifecycleEvent } from '../src/events/event-catalog';
import { insertOutboxEvents } from '../src/events/outbox.repository';
import { TransactionRunner } from '../src/events/transaction-runner.service';
import { createTestApp, type TestApp } from './support/test-app';

/** Undoes a transaction's writes once what it wrote has been read. */
class RolledBack extends Error {}

describe("a transaction's outbox rows", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('are written in the order recorded, across the statements a large batch is split into', async () => {
    const events: LifecycleEvent[] = Array.from({ length: 2001 }, (_, i) => ({
      id: randomUUID(),
      type: 'device.renamed',
      occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      userId: randomUUID(),
      data: { name: `device ${i}` },
    }));
    let stored: Array<{ id: string; type: string; name: string }> = [];
    await t.dataSource
      .transaction(async (manager) => {
        await insertOutboxEvents(manager, events);
        stored = await manager.query(
          `SELECT id, type, payload->'data'->>'name' AS name FROM outbox_events
            WHERE id = ANY($1::uuid[]) ORDER BY seq`,
          [events.map((event) => event.id)],
        );
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
    expect(stored).toEqual(
      events.map((event, i) => ({ id: event.id, type: 'device.renamed', name: `device ${i}` })),
    );
  });

  it('are written only with the commit: a transaction that fails leaves none', async () => {
    const marker = `never-${randomUUID()}`;
    await expect(
      t.app.get(TransactionRunner).run(async (tx) => {
        await tx.record('device.renamed', { userId: randomUUID() }, { name: marker });
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    const [row] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM outbox_events WHERE payload->'data'->>'name' = $1`,
      [marker],
    );
    expect(row.n).toBe(0);
  });
});
