import { Injectable } from '@nestjs/common';
import { BatchPruner } from '../../common/batch-pruner';
import { Clock } from '../../common/clock';
import { TransactionRunner, type Tx } from '../../events/transaction-runner.service';
import { LoginProtectionRepository } from './login-protection.repository';
import { LoginProtectionService } from './login-protection.service';

/**
 * Deletes failed-login counters that have fully decayed: they delay nothing any more, and
 * without this every address that ever mistyped a password would keep a row.
 */
@Injectable()
export class LoginProtectionPruner extends BatchPruner {
  constructor(
    private readonly counters: LoginProtectionRepository,
    private readonly protection: LoginProtectionService,
    transactions: TransactionRunner,
    clock: Clock,
  ) {
    super(LoginProtectionPruner.name, 'decayed login counters', transactions, clock);
  }

  protected pruneBatch(tx: Tx, now: Date, limit: number): Promise<number> {
    const cutoff = new Date(now.getTime() - this.protection.decayMs);
    return this.counters.deleteDecayed(tx, cutoff, limit);
  }
}
