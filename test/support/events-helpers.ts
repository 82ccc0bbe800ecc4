import type { TestApp } from './test-app';

/**
 * Publishes every committed outbox event, including those that listeners commit while the relay
 * runs (alerts raise `alert.raised`), until the outbox is empty. Events the app's own background
 * relay has claimed are finished by it, not by the flush, so this waits for them (bounded).
 */
export async function drainEvents(t: TestApp, timeoutMs = 10_000): Promise<void> {
  await eventually(
    async () => {
      await t.flushEvents();
      const [row] = await t.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL`,
      );
      return row.n === 0 ? true : undefined;
    },
    timeoutMs,
    'the outbox to drain',
  );
}

/** Grants the admin role directly in the database (the roles guard re-reads it per request). */
export async function makeAdmin(t: TestApp, userId: string): Promise<void> {
  await t.dataSource.query(`UPDATE users SET roles = '{user,admin}' WHERE id = $1`, [userId]);
}

/** Polls until `check` returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
