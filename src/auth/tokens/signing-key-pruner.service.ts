import { Injectable } from '@nestjs/common';
import { BatchPruner } from '../../common/batch-pruner';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { ClusterBus } from '../../events/cluster-bus';
import { TransactionRunner, type Tx } from '../../events/transaction-runner.service';
import { SigningKeyRepository } from './signing-key.repository';
import { purgeDelayMs } from './signing-key-set';
import { longestTokenTtlMs, SigningKeyStore } from './signing-key-store.service';

/**
 * Deletes generated signing keys retired longer than the longest token lifetime plus the JWKS
 * cache max-age (purgeDelayMs): nothing they signed can verify anywhere by then, yet every
 * rotation would otherwise leave a row that each instance re-reads (and unseals) for ever. The
 * active and pending keys have no retirement behind them and are never selected; the key this
 * instance signs with is excluded as well, should the clocks disagree.
 */
@Injectable()
export class SigningKeyPruner extends BatchPruner {
  constructor(
    private readonly keys: SigningKeyRepository,
    private readonly store: SigningKeyStore,
    private readonly bus: ClusterBus,
    private readonly config: AppConfig,
    transactions: TransactionRunner,
    clock: Clock,
  ) {
    super(SigningKeyPruner.name, 'retired signing keys', transactions, clock);
  }

  /** Keys whose retirement is older than this are deleted. */
  cutoff(now: Date): Date {
    return new Date(now.getTime() - purgeDelayMs(longestTokenTtlMs(this.config)));
  }

  protected async pruneBatch(tx: Tx, now: Date, limit: number): Promise<number> {
    if (this.store.isStatic) return 0;
    const cutoff = this.cutoff(now);
    const active = this.store.activeKid();
    const kids = await this.keys.deleteRetiredBefore(tx, cutoff, active ? [active] : [], limit);
    if (kids.length === 0) return 0;
    // The kids go into the audited event; BatchPruner logs the count once committed (a line
    // written here could announce a purge that then rolled back).
    await tx.record('keys.purged', {}, { kids, retiredBefore: cutoff.toISOString() });
    // Other instances drop the rows from memory at once instead of at their next refresh.
    await this.bus.publishOnCommit(tx, 'signing_keys', { kid: kids[0] });
    return kids.length;
  }
}
