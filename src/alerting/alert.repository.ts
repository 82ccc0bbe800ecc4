import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { newestFirstPage, type Page } from '../common/keyset-cursor';
import { queryReturning } from '../database/query-returning';
import type { Tx } from '../events/transaction-runner.service';
import { AlertEntity, type AlertSeverity, type AlertStatus } from './alert.entity';

export interface AlertFilter {
  userId?: string;
  status?: AlertStatus;
  severity?: AlertSeverity;
  rule?: string;
}

/** alerts, alert_observations (rule history) and alert_dispatches (channel deliveries). */
@Injectable()
export class AlertRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Serialises the evaluation of one rule subject cluster-wide, until the transaction ends. */
  async lockSubject(tx: Tx, key: string): Promise<void> {
    await tx.manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
  }

  /** Records that the rule saw the event; false if it already had (a replay). */
  async observe(
    tx: Tx,
    eventId: string,
    rule: string,
    subject: string,
    occurredAt: Date,
  ): Promise<boolean> {
    const fresh = await queryReturning<{ event_id: string }>(
      tx.manager,
      `INSERT INTO alert_observations (event_id, rule, subject, occurred_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT DO NOTHING RETURNING event_id`,
      [eventId, rule, subject, occurredAt],
    );
    return fresh.length > 0;
  }

  async observedEventIdsSince(
    tx: Tx,
    rule: string,
    subject: string,
    since: Date,
  ): Promise<string[]> {
    const rows = await tx.manager.query<Array<{ event_id: string }>>(
      `SELECT event_id FROM alert_observations WHERE rule = $1 AND subject = $2 AND occurred_at >= $3
        ORDER BY occurred_at, event_id`,
      [rule, subject, since],
    );
    return rows.map((row) => row.event_id);
  }

  async observedOtherThan(
    tx: Tx,
    rule: string,
    subject: string,
    eventId: string,
  ): Promise<boolean> {
    const rows = await tx.manager.query<unknown[]>(
      `SELECT 1 FROM alert_observations WHERE rule = $1 AND subject = $2 AND event_id <> $3 LIMIT 1`,
      [rule, subject, eventId],
    );
    return rows.length > 0;
  }

  /** The newest unresolved alert with this rule and key seen since `since`, locked. */
  lockOpenDuplicate(
    tx: Tx,
    rule: string,
    dedupeKey: string,
    since: Date,
  ): Promise<AlertEntity | null> {
    return tx.manager
      .getRepository(AlertEntity)
      .createQueryBuilder('a')
      .setLock('pessimistic_write')
      .where(
        'a.rule = :rule AND a.dedupe_key = :dedupeKey AND a.status <> :resolved AND a.last_seen_at >= :since',
        { rule, dedupeKey, resolved: 'resolved', since },
      )
      .orderBy('a.last_seen_at', 'DESC')
      .getOne();
  }

  async update(tx: Tx, id: string, fields: Partial<AlertEntity>): Promise<void> {
    await tx.manager.update(AlertEntity, { id }, fields);
  }

  build(tx: Tx, fields: Partial<AlertEntity>): AlertEntity {
    return tx.manager.getRepository(AlertEntity).create(fields);
  }

  async insert(tx: Tx, alert: AlertEntity): Promise<void> {
    await tx.manager.insert(AlertEntity, alert);
  }

  findById(id: string): Promise<AlertEntity | null> {
    return this.dataSource.getRepository(AlertEntity).findOneBy({ id });
  }

  /** Newest first, keyset-paginated by (created_at, id). */
  page(filter: AlertFilter, page: { limit: number; cursor?: string }): Promise<Page<AlertEntity>> {
    const qb = this.dataSource.getRepository(AlertEntity).createQueryBuilder('a');
    if (filter.userId) qb.andWhere('a.user_id = :userId', { userId: filter.userId });
    if (filter.status) qb.andWhere('a.status = :status', { status: filter.status });
    if (filter.severity) qb.andWhere('a.severity = :severity', { severity: filter.severity });
    if (filter.rule) qb.andWhere('a.rule = :rule', { rule: filter.rule });
    return newestFirstPage(qb, 'a', page);
  }

  /** Returns false when no such alert exists. */
  /**
   * Deletes up to `limit` observations older than `cutoff`, never the newest of a rule and
   * subject (the ix_alert_observations_subject index answers the NOT EXISTS). Returns the count.
   */
  async pruneObservations(tx: Tx, cutoff: Date, limit: number): Promise<number> {
    const rows = await queryReturning<{ event_id: string }>(
      tx.manager,
      `DELETE FROM alert_observations WHERE (event_id, rule) IN (
         SELECT o.event_id, o.rule FROM alert_observations o
          WHERE o.occurred_at < $1 AND EXISTS (
            SELECT 1 FROM alert_observations n
             WHERE n.rule = o.rule AND n.subject = o.subject AND n.occurred_at > o.occurred_at)
          LIMIT ${Number(limit)})
       RETURNING event_id`,
      [cutoff],
    );
    return rows.length;
  }

  /** The alert's status and owner, locked for a status change. */
  async lockStatus(
    tx: Tx,
    id: string,
  ): Promise<{ status: AlertStatus; user_id: string | null } | undefined> {
    const [row] = await tx.manager.query<Array<{ status: AlertStatus; user_id: string | null }>>(
      `SELECT status, user_id FROM alerts WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return row;
  }

  async setStatus(tx: Tx, id: string, status: AlertStatus, actorId: string): Promise<boolean> {
    const rows = await queryReturning<{ id: string }>(
      tx.manager,
      `UPDATE alerts SET status = $2, status_changed_at = $3, status_changed_by = $4 WHERE id = $1 RETURNING id`,
      [id, status, tx.now(), actorId],
    );
    return rows.length > 0;
  }

  async dispatchedChannels(alertId: string): Promise<Set<string>> {
    const rows = await this.dataSource.query<Array<{ channel: string }>>(
      `SELECT channel FROM alert_dispatches WHERE alert_id = $1`,
      [alertId],
    );
    return new Set(rows.map((row) => row.channel));
  }

  async recordDispatch(tx: Tx, alertId: string, channel: string): Promise<void> {
    await tx.manager.query(
      `INSERT INTO alert_dispatches (alert_id, channel, dispatched_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [alertId, channel, tx.now()],
    );
  }
}
