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

/** Writes one event into the outbox inside the state change's transaction (used by Tx.record). */
export async function insertOutboxEvent(
  manager: EntityManager,
  event: LifecycleEvent,
): Promise<void> {
  await manager.query(
    'INSERT INTO outbox_events (id, type, payload, occurred_at) VALUES ($1, $2, $3, $4)',
    [event.id, event.type, JSON.stringify(event), event.occurredAt],
  );
}

/** The outbox_events table: claims with a lease, marks published, releases with backoff. */
@Injectable()
export class OutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Claims up to `limit` unpublished events (FOR UPDATE SKIP LOCKED), oldest first. */
  async claim(tx: Tx, leaseSeconds: number, limit: number): Promise<ClaimedOutboxRow[]> {
    const rows = await queryReturning<ClaimedOutboxRow>(
      tx.manager,
      `UPDATE outbox_events SET claimed_until = now() + make_interval(secs => $1), attempts = attempts + 1
        WHERE id IN (
          SELECT id FROM outbox_events
           WHERE published_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
           ORDER BY seq LIMIT $2 FOR UPDATE SKIP LOCKED)
        RETURNING id, seq, payload, attempts`,
      [leaseSeconds, limit],
    );
    return rows.sort((a, b) => Number(BigInt(a.seq) - BigInt(b.seq)));
  }

  async markPublished(tx: Tx, ids: readonly string[]): Promise<void> {
    await tx.manager.query(
      `UPDATE outbox_events SET published_at = now(), claimed_until = NULL WHERE id = ANY($1::uuid[])`,
      [ids],
    );
  }

  async release(tx: Tx, id: string, backoffSeconds: number, error: string): Promise<void> {
    await tx.manager.query(
      `UPDATE outbox_events SET claimed_until = now() + make_interval(secs => $2), last_error = $3 WHERE id = $1`,
      [id, backoffSeconds, error],
    );
  }

  async countPending(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL',
    );
    return row.n;
  }
}
