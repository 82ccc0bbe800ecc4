import { Injectable } from '@nestjs/common';
import { BatchPruner } from '../common/batch-pruner';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { SsfRepository } from './ssf.repository';

/**
 * Keeps ssf_sets (the SET queue and delivery log) from growing forever: SETs that are done
 * (delivered, acknowledged or failed) go once older than SSF_SET_RETENTION. Undelivered SETs
 * are owed to their receiver and stay.
 */
@Injectable()
export class SsfSetPruner extends BatchPruner {
  constructor(
    private readonly sets: SsfRepository,
    private readonly config: AppConfig,
    transactions: TransactionRunner,
    clock: Clock,
  ) {
    super(SsfSetPruner.name, 'finished SETs past retention', transactions, clock);
  }

  protected pruneBatch(tx: Tx, now: Date, limit: number): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.ssf.setRetentionMs);
    return this.sets.pruneFinished(tx, cutoff, limit);
  }
}
