import { Injectable } from '@nestjs/common';
import { BackgroundWorker, type WorkerSchedule } from '../common/background-worker';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../events/transaction-runner.service';
import { SsfRepository } from './ssf.repository';

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const FIRST_PRUNE_DELAY_MS = 2 * 60 * 1000;
const BATCH = 5000;

/**
 * Keeps ssf_sets (the SET queue and delivery log) from growing forever: SETs that are done
 * (delivered, acknowledged or failed) go once older than SSF_SET_RETENTION. Undelivered SETs
 * are owed to their receiver and stay. Hourly, in batches, on every instance.
 */
@Injectable()
export class SsfSetPruner extends BackgroundWorker {
  private running?: Promise<void>;

  constructor(
    private readonly sets: SsfRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    super(SsfSetPruner.name);
  }

  protected schedule(): WorkerSchedule {
    return { intervalMs: PRUNE_INTERVAL_MS, firstRunMs: FIRST_PRUNE_DELAY_MS };
  }

  protected override async drain(): Promise<void> {
    await this.running;
  }

  /** Deletes finished SETs past retention; the count. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.clock.nowMs() - this.config.ssf.setRetentionMs);
    let total = 0;
    for (;;) {
      const deleted = await this.transactions.run((tx) =>
        this.sets.pruneFinished(tx, cutoff, BATCH),
      );
      total += deleted;
      if (deleted < BATCH || this.stopped) return total;
    }
  }

  protected tick(): void {
    if (this.running) return;
    this.running = this.prune()
      .then((count) => {
        if (count > 0) this.logger.log(`pruned ${count} finished SETs past retention`);
      })
      .catch((error: unknown) => this.reportFailure(error))
      .finally(() => {
        this.running = undefined;
      });
  }
}
