import { Injectable } from '@nestjs/common';
import { BatchPruner } from '../common/batch-pruner';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { OutboxRepository } from './outbox.repository';
import { TransactionRunner, type Tx } from './transaction-runner.service';

/**
 * Deletes outbox events published longer ago than OUTBOX_RETENTION. Every listener has had
 * them by then (the audit log, alerts and SETs keep what must last); an unpublished event is
 * never deleted, however old.
 */
@Injectable()
export class OutboxPruner extends BatchPruner {
  constructor(
    private readonly outbox: OutboxRepository,
    private readonly config: AppConfig,
    transactions: TransactionRunner,
    clock: Clock,
  ) {
    super(OutboxPruner.name, 'published outbox events past retention', transactions, clock);
  }

  protected pruneBatch(tx: Tx, now: Date, limit: number): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.outboxRetentionMs);
    return this.outbox.deletePublishedBefore(tx, cutoff, limit);
  }
}
