import { deleteBatch } from '../database/delete-batch';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryReturning } from '../database/query-returning';
import type { Tx } from '../events/transaction-runner.service';
import type { SetClaims } from './set-claims';
import { PUSH_DELIVERY, SsfStreamEntity } from './ssf-stream.entity';

/** A SET row ready to insert. */
export interface NewSet {
  streamId: string;
  outboxEventId: string | null;
  jti: string;
  eventType: string;
  claims: SetClaims;
  createdAt: Date;
}

/** A SET claimed for a push, with where it goes. */
export interface ClaimedPush {
  id: string;
  stream_id: string;
  client_id: string;
  jti: string;
  claims: SetClaims;
  attempts: number;
  endpoint_url: string;
  authorization_header: string | null;
}

export interface PushFailure {
  status: 'pending' | 'failed';
  nextAttemptAt: Date;
  statusCode: number | null;
  error: string;
}

/** ssf_streams (receivers' streams) and ssf_sets (the SET queue and its log). */
@Injectable()
export class SsfRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  build(tx: Tx, fields: Partial<SsfStreamEntity>): SsfStreamEntity {
    return tx.manager.getRepository(SsfStreamEntity).create(fields);
  }

  async insertStream(tx: Tx, stream: SsfStreamEntity): Promise<void> {
    await tx.manager.insert(SsfStreamEntity, stream);
  }

  /** A client's stream, or null (another client's stream is as absent as a missing one). */
  findStream(clientId: string, id: string): Promise<SsfStreamEntity | null> {
    return this.dataSource.getRepository(SsfStreamEntity).findOneBy({ id, clientId });
  }

  /** The same, locked for a change in `tx`. */
  lockStream(tx: Tx, clientId: string, id: string): Promise<SsfStreamEntity | null> {
    return tx.manager
      .getRepository(SsfStreamEntity)
      .createQueryBuilder('s')
      .setLock('pessimistic_write')
      .where('s.id = :id AND s.client_id = :clientId', { id, clientId })
      .getOne();
  }

  listStreams(clientId: string): Promise<SsfStreamEntity[]> {
    return this.dataSource
      .getRepository(SsfStreamEntity)
      .find({ where: { clientId }, order: { createdAt: 'ASC' } });
  }

  async countStreams(tx: Tx, clientId: string): Promise<number> {
    return tx.manager.getRepository(SsfStreamEntity).countBy({ clientId });
  }

  async saveStream(tx: Tx, stream: SsfStreamEntity): Promise<void> {
    await tx.manager.save(SsfStreamEntity, stream);
  }

  /** Deletes a client's stream (its SETs go with it, FK cascade); false if none. */
  async deleteStream(tx: Tx, clientId: string, id: string): Promise<boolean> {
    const result = await tx.manager.delete(SsfStreamEntity, { id, clientId });
    return Boolean(result.affected);
  }

  /**
   * Streams that take `eventType` about `userId` now: enabled ones and paused ones (they hold
   * it), unless the receiver removed that user from the stream.
   */
  streamsReceiving(
    tx: Tx,
    eventType: string,
    userId: string,
  ): Promise<Array<{ id: string; audience: string }>> {
    return tx.manager.query(
      `SELECT s.id, s.audience FROM ssf_streams s
        WHERE s.status IN ('enabled', 'paused') AND $1 = ANY(s.events_requested)
          AND NOT EXISTS (SELECT 1 FROM ssf_subject_exclusions e
                           WHERE e.stream_id = s.id AND e.user_id = $2)
        ORDER BY s.id`,
      [eventType, userId],
    );
  }

  /** Removes a user from a stream (idempotent). */
  async excludeSubject(tx: Tx, streamId: string, userId: string, at: Date): Promise<void> {
    await tx.manager.query(
      `INSERT INTO ssf_subject_exclusions (stream_id, user_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (stream_id, user_id) DO NOTHING`,
      [streamId, userId, at],
    );
  }

  /** Adds a removed user back (idempotent: every user is in a stream by default). */
  async includeSubject(tx: Tx, streamId: string, userId: string): Promise<void> {
    await tx.manager.query(
      `DELETE FROM ssf_subject_exclusions WHERE stream_id = $1 AND user_id = $2`,
      [streamId, userId],
    );
  }

  /**
   * Queues SETs; a (stream, lifecycle event) pair that already has one is skipped, so a
   * redelivered event keeps its first SET and jti. Returns the streams that got a new SET.
   */
  async insertSets(tx: Tx, sets: readonly NewSet[]): Promise<string[]> {
    const inserted: string[] = [];
    for (const set of sets) {
      const rows = await queryReturning<{ stream_id: string }>(
        tx.manager,
        `INSERT INTO ssf_sets (stream_id, outbox_event_id, jti, event_type, claims, status, attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)
         ON CONFLICT (stream_id, outbox_event_id) DO NOTHING RETURNING stream_id`,
        [
          set.streamId,
          set.outboxEventId,
          set.jti,
          set.eventType,
          JSON.stringify(set.claims),
          set.createdAt,
        ],
      );
      inserted.push(...rows.map((row) => row.stream_id));
    }
    return inserted;
  }

  /** A disabled stream drops what it had not delivered yet. */
  async dropUndelivered(tx: Tx, streamId: string): Promise<void> {
    await tx.manager.query(`DELETE FROM ssf_sets WHERE stream_id = $1 AND status = 'pending'`, [
      streamId,
    ]);
  }

  /**
   * Claims due push SETs of enabled streams for `owner` until `leaseUntil` (SKIP LOCKED: each
   * goes to one instance). Like the outbox relay, a claim whose owner stopped heartbeating
   * (outbox_relay_instances, the relays' liveness table) is taken over at once, before its
   * lease ends: a crashed instance's pushes are re-sent within seconds of its death.
   */
  claimPushes(
    tx: Tx,
    owner: string,
    now: Date,
    leaseUntil: Date,
    limit: number,
    ownerTimeoutSeconds: number,
  ): Promise<ClaimedPush[]> {
    return queryReturning<ClaimedPush>(
      tx.manager,
      `UPDATE ssf_sets s SET claimed_by = $1, claimed_until = $3, attempts = s.attempts + 1
         FROM ssf_streams st
        WHERE st.id = s.stream_id AND s.id IN (
          SELECT x.id FROM ssf_sets x JOIN ssf_streams y ON y.id = x.stream_id
           WHERE x.status = 'pending' AND x.next_attempt_at <= $2
             AND y.status = 'enabled' AND y.delivery_method = $6
             AND (x.claimed_until IS NULL OR x.claimed_until < $2
                  OR (x.claimed_by IS NOT NULL AND x.claimed_by <> $1 AND NOT EXISTS (
                        SELECT 1 FROM outbox_relay_instances r
                         WHERE r.id = x.claimed_by AND r.last_seen > now() - make_interval(secs => $5))))
           ORDER BY x.next_attempt_at, x.seq LIMIT $4 FOR UPDATE OF x SKIP LOCKED)
        RETURNING s.id, s.stream_id, st.client_id, s.jti, s.claims, s.attempts, st.endpoint_url, st.authorization_header`,
      [owner, now, leaseUntil, limit, ownerTimeoutSeconds, PUSH_DELIVERY],
    );
  }

  /** The receiver answered 2xx: recorded in the step that ends the claim. */
  async markDelivered(tx: Tx, id: string, at: Date, statusCode: number): Promise<void> {
    await tx.manager.query(
      `UPDATE ssf_sets SET status = 'delivered', delivered_at = $2, last_status_code = $3,
              last_error = NULL, claimed_by = NULL, claimed_until = NULL WHERE id = $1`,
      [id, at, statusCode],
    );
  }

  async markPushFailed(tx: Tx, id: string, failure: PushFailure): Promise<void> {
    await tx.manager.query(
      `UPDATE ssf_sets SET status = $2, next_attempt_at = $3, last_status_code = $4,
              last_error = $5, claimed_by = NULL, claimed_until = NULL WHERE id = $1`,
      [id, failure.status, failure.nextAttemptAt, failure.statusCode, failure.error.slice(0, 500)],
    );
  }

  /** Deletes up to `limit` finished SETs created before `cutoff`; how many went. */
  async pruneFinished(tx: Tx, cutoff: Date, limit: number): Promise<number> {
    return deleteBatch(tx.manager, {
      table: 'ssf_sets',
      where: "status <> 'pending' AND created_at < $1",
      params: [cutoff],
      limit,
    });
  }

  /** The oldest undelivered SETs of a stream, for a poll (one more than asked: moreAvailable). */
  pollable(streamId: string, limit: number): Promise<Array<{ jti: string; claims: SetClaims }>> {
    return this.dataSource.query(
      `SELECT jti, claims FROM ssf_sets WHERE stream_id = $1 AND status = 'pending'
        ORDER BY seq LIMIT $2`,
      [streamId, limit],
    );
  }

  /** Acknowledged (RFC 8936 `ack`): done, never handed out again. Unknown jtis are ignored. */
  async acknowledge(tx: Tx, streamId: string, jtis: readonly string[], at: Date): Promise<void> {
    if (jtis.length === 0) return;
    await tx.manager.query(
      `UPDATE ssf_sets SET status = 'acked', delivered_at = $3
        WHERE stream_id = $1 AND jti = ANY($2::varchar[]) AND status = 'pending'`,
      [streamId, jtis, at],
    );
  }

  /** Refused by the receiver (RFC 8936 `setErrs`): failed for good, with its reason. */
  async refuse(tx: Tx, streamId: string, jti: string, error: string): Promise<void> {
    await tx.manager.query(
      `UPDATE ssf_sets SET status = 'failed', last_error = $3
        WHERE stream_id = $1 AND jti = $2 AND status = 'pending'`,
      [streamId, jti, error.slice(0, 500)],
    );
  }
}
