import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppException } from '../common/app.exception';
import { Clock } from '../common/clock';
import { newestFirstPage, type Page } from '../common/keyset-cursor';
import { queryReturning } from '../common/sql';
import type { AnyLifecycleEvent } from '../events/event-catalog';
import type { Tx } from '../events/transaction-runner.service';
import { AlertEntity, type AlertSeverity, type AlertStatus } from './alert.entity';
import type { AlertDraft, AlertRule } from './alert-rule';
import { type AlertView, toAlertView } from './alert-view';

export interface AlertFilter {
  userId?: string;
  status?: AlertStatus;
  severity?: AlertSeverity;
  rule?: string;
}

/** Evidence lists stay bounded however long a burst lasts. */
const MAX_EVIDENCE = 100;

/** Stored alerts: raising (with deduplication), listing and status changes. */
@Injectable()
export class AlertsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  /**
   * Raises the draft inside the rule engine's transaction, or folds it into a recent unresolved
   * alert with the same rule and key. A new alert records `alert.raised` through the outbox.
   */
  async raise(
    tx: Tx,
    rule: AlertRule,
    subject: string,
    event: AnyLifecycleEvent,
    draft: AlertDraft,
  ): Promise<AlertEntity | undefined> {
    const occurredAt = new Date(event.occurredAt);
    const dedupeKey = (draft.dedupeKey ?? subject).slice(0, 200);
    const evidence = [...(draft.evidence ?? [event.id])];
    const repo = tx.manager.getRepository(AlertEntity);
    const existing = await repo
      .createQueryBuilder('a')
      .setLock('pessimistic_write')
      .where(
        'a.rule = :rule AND a.dedupe_key = :dedupeKey AND a.status <> :resolved AND a.last_seen_at >= :since',
        {
          rule: rule.name,
          dedupeKey,
          resolved: 'resolved',
          since: new Date(occurredAt.getTime() - rule.dedupeWindowMs),
        },
      )
      .orderBy('a.last_seen_at', 'DESC')
      .getOne();
    if (existing) {
      const merged = [...new Set([...existing.evidenceEventIds, ...evidence])].slice(-MAX_EVIDENCE);
      await repo.update(
        { id: existing.id },
        { evidenceEventIds: merged, occurrences: existing.occurrences + 1, lastSeenAt: occurredAt },
      );
      return undefined;
    }
    const alert = repo.create({
      userId: event.userId ?? null,
      rule: rule.name,
      severity: draft.severity,
      status: 'open',
      title: draft.title.slice(0, 200),
      dedupeKey,
      triggerEventId: event.id,
      evidenceEventIds: evidence.slice(-MAX_EVIDENCE),
      occurrences: 1,
      ip: event.ip ?? null,
      firstSeenAt: occurredAt,
      lastSeenAt: occurredAt,
      createdAt: tx.now(),
      statusChangedAt: null,
      statusChangedBy: null,
    });
    await repo.insert(alert);
    await tx.record(
      'alert.raised',
      {
        userId: event.userId,
        sessionId: event.sessionId,
        deviceId: event.deviceId,
        ip: event.ip,
        userAgent: event.userAgent,
      },
      { alertId: alert.id, rule: rule.name, severity: draft.severity },
    );
    return alert;
  }

  async get(id: string): Promise<AlertView | undefined> {
    const alert = await this.dataSource.getRepository(AlertEntity).findOneBy({ id });
    return alert ? toAlertView(alert) : undefined;
  }

  /** Newest first, keyset-paginated by (created_at, id). */
  async list(
    filter: AlertFilter,
    page: { limit: number; cursor?: string },
  ): Promise<Page<AlertView>> {
    const qb = this.dataSource.getRepository(AlertEntity).createQueryBuilder('a');
    if (filter.userId) qb.andWhere('a.user_id = :userId', { userId: filter.userId });
    if (filter.status) qb.andWhere('a.status = :status', { status: filter.status });
    if (filter.severity) qb.andWhere('a.severity = :severity', { severity: filter.severity });
    if (filter.rule) qb.andWhere('a.rule = :rule', { rule: filter.rule });
    const { items, nextCursor } = await newestFirstPage(qb, 'a', page);
    return { items: items.map(toAlertView), nextCursor };
  }

  /** Acknowledge, resolve or reopen an alert. */
  async setStatus(id: string, status: AlertStatus, actorId: string): Promise<AlertView> {
    const [row] = await queryReturning<{ id: string }>(
      this.dataSource,
      `UPDATE alerts SET status = $2, status_changed_at = $3, status_changed_by = $4 WHERE id = $1 RETURNING id`,
      [id, status, this.clock.now(), actorId],
    );
    const alert = row ? await this.get(row.id) : undefined;
    if (!alert) throw new AppException('not_found', 'Alert not found');
    return alert;
  }
}
