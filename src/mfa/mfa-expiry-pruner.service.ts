import { Injectable } from '@nestjs/common';
import { BatchPruner } from '../common/batch-pruner';
import { Clock } from '../common/clock';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { MfaTokenService } from './mfa-token.service';
import { PasskeysService } from './passkeys.service';

/** Deletes expired second-step tokens and WebAuthn challenges: both are worthless once expired. */
@Injectable()
export class MfaExpiryPruner extends BatchPruner {
  constructor(
    private readonly tokens: MfaTokenService,
    private readonly passkeys: PasskeysService,
    transactions: TransactionRunner,
    clock: Clock,
  ) {
    super(MfaExpiryPruner.name, 'expired mfa tokens and passkey challenges', transactions, clock);
  }

  protected async pruneBatch(tx: Tx, now: Date, limit: number): Promise<number> {
    // Each table gets the whole limit: the loop goes on while either one still had a full batch.
    const tokens = await this.tokens.purgeExpired(tx, now, limit);
    const challenges = await this.passkeys.purgeChallenges(tx, now, limit);
    return Math.max(tokens, challenges);
  }
}
