import { Injectable } from '@nestjs/common';
import { BackgroundWorker, type WorkerSchedule } from '../common/background-worker';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../events/transaction-runner.service';
import { AlertRepository } from './alert.repository';

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const FIRST_PRUNE_DELAY_MS = 2 * 60 * 1000;
const BATCH = 5000;

/**
 * Keeps alert_observations from growing forever: observations older than AUDIT_RETENTION go
 * (their evidence, the audit records, is purged at the same age), except the newest one of each
 * rule and subject, so "seen before" (the new-device rule) still holds for a returning account.
 * Every rule's window is far shorter than the retention. Hourly, in batches.
 */
@Injectable()
export class AlertObservationPruner extends BackgroundWorker {
  private running?: Promise<void>;

  constructor(
    private readonly alerts: AlertRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    super(AlertObservationPruner.name);
  }

  protected schedule(): WorkerSchedule {
    return { intervalMs: PRUNE_INTERVAL_MS, firstRunMs: FIRST_PRUNE_DELAY_MS };
  }

  protected override async drain(): Promise<void> {
    await this.running;
  }

  /** Deletes observations past retention (keeping the newest per rule and subject); the count. */
  async prune(): Promise<number> {
    const cutoff = new Date(this.clock.nowMs() - this.config.auditRetentionMs);
    let total = 0;
    for (;;) {
      const deleted = await this.transactions.run((tx) =>
        this.alerts.pruneObservations(tx, cutoff, BATCH),
      );
      total += deleted;
      if (deleted < BATCH || this.stopped) return total;
    }
  }

  protected tick(): void {
    if (this.running) return;
    this.running = this.prune()
      .then((count) => {
        if (count > 0) this.logger.log(`pruned ${count} alert observations past retention`);
      })
      .catch((error: unknown) => this.reportFailure(error))
      .finally(() => {
        this.running = undefined;
      });
  }
}
