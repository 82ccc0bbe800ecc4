import { deleteBatch } from '../database/delete-batch';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { queryReturning } from '../database/query-returning';
import type { LifecycleEvent } from './event-catalog';
import type { Tx } from './transaction-runner.service';

export interface ClaimedOutboxRow {
  id: string;
  seq: string;
  payload: LifecycleEvent;
  attempts: number;
}

/** Events per INSERT: 4 parameters each, far below PostgreSQL's 65,535 per statement. */
const EVENTS_PER_INSERT = 1000;

/**
 * Writes a transaction's events into the outbox inside that transaction (Tx.flushEvents, just
 * before COMMIT): one statement for up to EVENTS_PER_INSERT of them, in the order recorded (seq
 * follows the order of the VALUES rows).
 */
export async function insertOutboxEvents(
  manager: EntityManager,
  events: readonly LifecycleEvent[],
): Promise<void> {
  for (let start = 0; start < events.length; start += EVENTS_PER_INSERT) {
    const chunk = events.slice(start, start + EVENTS_PER_INSERT);
    const rows = chunk.map(
      (_, i) => `($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4})`,
    );
    await manager.query(
      `INSERT INTO outbox_events (id, type, payload, occurred_at) VALUES ${rows.join(', ')}`,
      chunk.flatMap((event) => [event.id, event.type, JSON.stringify(event), event.occurredAt]),
    );
  }
}

/**
 * The outbox_events table (claims with an owner and a lease, marks published, releases with
 * backoff) and outbox_relay_instances (the relays' heartbeats).
 */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Claims up to `limit` unpublished events for `owner` (FOR UPDATE SKIP LOCKED), oldest first:
   * events nobody holds, events whose lease ran out, and events held by another instance whose
   * heartbeat is older than `ownerTimeoutSeconds` (a dead process: no need to wait out its
   * lease). A live owner's lease is respected, and so are our own claims.
   */
  async claim(
    tx: Tx,
    owner: string,
    leaseSeconds: number,
    limit: number,
    ownerTimeoutSeconds: number,
  ): Promise<ClaimedOutboxRow[]> {
    const rows = await queryReturning<ClaimedOutboxRow>(
      tx.manager,
      `UPDATE outbox_events
          SET claimed_until = now() + make_interval(secs => $2), claimed_by = $1, attempts = attempts + 1
        WHERE id IN (
          SELECT o.id FROM outbox_events o
           WHERE o.published_at IS NULL
             AND (o.claimed_until IS NULL OR o.claimed_until < now()
                  OR (o.claimed_by IS NOT NULL AND o.claimed_by <> $1 AND NOT EXISTS (
                        SELECT 1 FROM outbox_relay_instances r
                         WHERE r.id = o.claimed_by AND r.last_seen > now() - make_interval(secs => $4))))
           ORDER BY o.seq LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING id, seq, payload, attempts`,
      [owner, leaseSeconds, limit, ownerTimeoutSeconds],
    );
    return rows.sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq)));
  }

  /** Publication time comes from the application clock, like every other timestamp it writes. */
  async markPublished(tx: Tx, ids: readonly string[]): Promise<void> {
    await tx.manager.query(
      `UPDATE outbox_events SET published_at = $2, claimed_until = NULL, claimed_by = NULL
        WHERE id = ANY($1::uuid[])`,
      [ids, tx.now()],
    );
  }

  /** Gives a failed event back with a retry delay that binds every instance (no owner). */
  async release(tx: Tx, id: string, backoffSeconds: number, error: string): Promise<void> {
    await tx.manager.query(
      `UPDATE outbox_events
          SET claimed_until = now() + make_interval(secs => $2), claimed_by = NULL, last_error = $3
        WHERE id = $1`,
      [id, backoffSeconds, error],
    );
  }

  /** Records that relay instance `id` is alive (database time, so instances' clocks don't matter). */
  async heartbeat(tx: Tx, id: string): Promise<void> {
    await tx.manager.query(
      `INSERT INTO outbox_relay_instances (id, started_at, last_seen) VALUES ($1, now(), now())
       ON CONFLICT (id) DO UPDATE SET last_seen = now()`,
      [id],
    );
  }

  /**
   * A relay stopping for good: its unpublished claims become claimable at once (no owner, no
   * lease) and its heartbeat row goes, so no other instance waits for either to expire.
   * Returns how many claims were released.
   */
  async forgetInstance(tx: Tx, id: string): Promise<number> {
    const released = await queryReturning<{ id: string }>(
      tx.manager,
      `UPDATE outbox_events SET claimed_until = NULL, claimed_by = NULL
        WHERE claimed_by = $1 AND published_at IS NULL RETURNING id`,
      [id],
    );
    await tx.manager.query(`DELETE FROM outbox_relay_instances WHERE id = $1`, [id]);
    return released.length;
  }

  /** Forgets instances silent for longer than `silentSeconds` (one row per process start). */
  async forgetSilentInstances(tx: Tx, silentSeconds: number): Promise<void> {
    await tx.manager.query(
      `DELETE FROM outbox_relay_instances WHERE last_seen < now() - make_interval(secs => $1)`,
      [silentSeconds],
    );
  }

  /** Deletes up to `limit` events published before `cutoff`; returns how many. */
  async deletePublishedBefore(tx: Tx, cutoff: Date, limit: number): Promise<number> {
    return deleteBatch(tx.manager, {
      table: 'outbox_events',
      where: 'published_at < $1',
      params: [cutoff],
      limit,
    });
  }

  async countPending(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL',
    );
    return row.n;
  }
}
