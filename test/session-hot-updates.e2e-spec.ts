import { TransactionRunner, type Tx } from '../src/events/transaction-runner.service';
import { newRefreshToken, refreshTokenKey } from '../src/sessions/refresh-token-key';
import { RefreshTokenRepository } from '../src/sessions/refresh-token.repository';
import { SessionRepository } from '../src/sessions/session.repository';
import { signedInUser } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

/** Undoes a transaction's writes once its figures are read. */
class RolledBack extends Error {}

interface UpdateCounts {
  updated: number;
  hot: number;
}

/**
 * The hot path's writes to `sessions` (a rotation, the batched activity write) must be HOT
 * updates: a heap-only tuple, no entry in any of the table's indexes. An index on a column they
 * change (last_active_at, idle_expires_at, …) would make every one of them write an entry into
 * all of the table's indexes; at a million sessions that is what made a refresh slower.
 */
describe('session updates on the hot path are HOT', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Runs `write`, returns its transaction's update counts on sessions, and rolls it back. */
  async function sessionUpdatesOf(write: (tx: Tx) => Promise<void>): Promise<UpdateCounts> {
    let counts: UpdateCounts | undefined;
    await t.app
      .get(TransactionRunner)
      .run(async (tx) => {
        // The backend's counters not yet flushed to the shared statistics: a difference.
        const read = async (): Promise<UpdateCounts> => {
          const [row] = await tx.manager.query<Array<{ updated: string; hot: string }>>(
            `SELECT pg_stat_get_xact_tuples_updated('sessions'::regclass)::text AS updated,
                    pg_stat_get_xact_tuples_hot_updated('sessions'::regclass)::text AS hot`,
          );
          return { updated: Number(row.updated), hot: Number(row.hot) };
        };
        const before = await read();
        await write(tx);
        const after = await read();
        counts = { updated: after.updated - before.updated, hot: after.hot - before.hot };
        throw new RolledBack();
      })
      .catch((error: unknown) => {
        if (!(error instanceof RolledBack)) throw error;
      });
    if (!counts) throw new Error('the transaction did not run');
    return counts;
  }

  it('a refresh rotation updates its session row without an index entry', async () => {
    const signedIn = await signedInUser(t);
    const tokens = t.app.get(RefreshTokenRepository);
    const counts = await sessionUpdatesOf(async (tx) => {
      const row = await tokens.lockForRotation(tx, refreshTokenKey(signedIn.refreshToken));
      if (!row) throw new Error('no rotation row for the fresh token');
      const later = new Date(tx.now().getTime() + 60_000);
      const generation = await tokens.rotate(tx, {
        tokenId: row.token_id,
        at: later,
        successorSealed: null,
        successor: newRefreshToken().key,
        idleExpiresAt: new Date(later.getTime() + 30 * 60_000),
        ip: row.ip,
        userAgent: row.userAgent,
        dpopJkt: null,
      });
      expect(generation).toBe(1);
    });
    expect(counts).toEqual({ updated: 1, hot: 1 });
  });

  it('the batched activity write updates session rows without index entries', async () => {
    const first = await signedInUser(t);
    const second = await signedInUser(t);
    const counts = await sessionUpdatesOf((tx) => {
      const at = new Date(tx.now().getTime() + 60_000).toISOString();
      return t.app
        .get(SessionRepository)
        .writeActivity(tx, [first.session.id, second.session.id], [at, at]);
    });
    expect(counts).toEqual({ updated: 2, hot: 2 });
  });
});
