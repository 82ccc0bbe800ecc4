import { Injectable } from '@nestjs/common';
import { BatchPruner } from '../../common/batch-pruner';
import { Clock } from '../../common/clock';
import { TransactionRunner, type Tx } from '../../events/transaction-runner.service';
import { PasswordResetTokenRepository } from './password-reset-token.repository';

/** Deletes password reset tokens past their expiry, used or not (their hashes serve no one). */
@Injectable()
export class PasswordResetTokenPruner extends BatchPruner {
  constructor(
    private readonly tokens: PasswordResetTokenRepository,
    transactions: TransactionRunner,
    clock: Clock,
  ) {
    super(PasswordResetTokenPruner.name, 'expired password reset tokens', transactions, clock);
  }

  protected pruneBatch(tx: Tx, now: Date, limit: number): Promise<number> {
    return this.tokens.deleteExpired(tx, now, limit);
  }
}
