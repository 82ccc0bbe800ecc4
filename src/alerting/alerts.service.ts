import { Injectable } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import type { Page } from '../common/keyset-cursor';
import type { AnyLifecycleEvent } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import type { AlertEntity, AlertStatus } from './alert.entity';
import { type AlertFilter, AlertRepository } from './alert.repository';
import type { AlertDraft, AlertRule } from './alert-rule';
import { type AlertView, toAlertView } from './alert-view';

export type { AlertFilter };

/** Evidence lists stay bounded however long a burst lasts. */
const MAX_EVIDENCE = 100;

/** Stored alerts: raising (with deduplication), listing and status changes. */
@Injectable()
export class AlertsService {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly transactions: TransactionRunner,
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
    const existing = await this.alerts.lockOpenDuplicate(
      tx,
      rule.name,
      dedupeKey,
      new Date(occurredAt.getTime() - rule.dedupeWindowMs),
    );
    if (existing) {
      const merged = [...new Set([...existing.evidenceEventIds, ...evidence])].slice(-MAX_EVIDENCE);
      await this.alerts.update(tx, existing.id, {
        evidenceEventIds: merged,
        occurrences: existing.occurrences + 1,
        lastSeenAt: occurredAt,
      });
      return undefined;
    }
    const alert = this.alerts.build(tx, {
      userId: draft.userId === undefined ? (event.userId ?? null) : draft.userId,
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
    await this.alerts.insert(tx, alert);
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
    const alert = await this.alerts.findById(id);
    return alert ? toAlertView(alert) : undefined;
  }

  /** Newest first, keyset-paginated by (created_at, id). */
  async list(
    filter: AlertFilter,
    page: { limit: number; cursor?: string },
  ): Promise<Page<AlertView>> {
    const { items, nextCursor } = await this.alerts.page(filter, page);
    return { items: items.map(toAlertView), nextCursor };
  }

  /** Acknowledge, resolve or reopen an alert. */
  async setStatus(id: string, status: AlertStatus, actorId: string): Promise<AlertView> {
    const found = await this.transactions.run(async (tx) => {
      const current = await this.alerts.lockStatus(tx, id);
      if (!current) return false;
      await this.alerts.setStatus(tx, id, status, actorId);
      // Audited in the same transaction; the alert's owner (if any) sees it in their activity.
      await tx.record(
        'alert.status_changed',
        { userId: current.user_id ?? actorId },
        { alertId: id, from: current.status, to: status, actorId },
      );
      return true;
    });
    const alert = found ? await this.get(id) : undefined;
    if (!alert) throw new AppException('not_found', 'Alert not found');
    return alert;
  }
}
