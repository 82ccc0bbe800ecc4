import { Injectable } from '@nestjs/common';
import { BatchPruner } from '../common/batch-pruner';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { AlertRepository } from './alert.repository';

/**
 * Keeps alert_observations from growing forever: observations older than AUDIT_RETENTION go
 * (their evidence, the audit records, is purged at the same age), except the newest one of each
 * rule and subject, so "seen before" (the new-device rule) still holds for a returning account.
 * Every rule's window is far shorter than the retention.
 */
@Injectable()
export class AlertObservationPruner extends BatchPruner {
  constructor(
    private readonly alerts: AlertRepository,
    private readonly config: AppConfig,
    transactions: TransactionRunner,
    clock: Clock,
  ) {
    super(AlertObservationPruner.name, 'alert observations past retention', transactions, clock);
  }

  protected pruneBatch(tx: Tx, now: Date, limit: number): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.auditRetentionMs);
    return this.alerts.pruneObservations(tx, cutoff, limit);
  }
}
