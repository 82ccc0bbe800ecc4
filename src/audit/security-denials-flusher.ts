import { Injectable } from '@nestjs/common';
import { BackgroundWorker, type WorkerSchedule } from '../common/background-worker';
import { SecurityDenials } from '../common/security-denials';
import { TransactionRunner } from '../events/transaction-runner.service';

const FLUSH_INTERVAL_MS = 10_000;

/**
 * Writes the per-minute counts of refused requests (SecurityDenials) as `security.denied`
 * events, one per (kind, network, minute), which the audit listener stores like any event.
 * Every instance flushes its own counts; the last minute is written at shutdown.
 */
@Injectable()
export class SecurityDenialsFlusher extends BackgroundWorker {
  private running?: Promise<void>;

  constructor(
    private readonly denials: SecurityDenials,
    private readonly transactions: TransactionRunner,
  ) {
    super(SecurityDenialsFlusher.name);
  }

  protected schedule(): WorkerSchedule {
    return { intervalMs: FLUSH_INTERVAL_MS };
  }

  protected tick(): void {
    if (this.running) return;
    this.running = this.flush().finally(() => {
      this.running = undefined;
    });
  }

  protected override async drain(): Promise<void> {
    await this.running;
    await this.flush(true).catch((error: unknown) => this.reportFailure(error));
  }

  /** Writes every finished minute (every minute with `all`); counts survive a failed write. */
  async flush(all = false): Promise<void> {
    const entries = this.denials.take(all);
    if (entries.length === 0) return;
    try {
      await this.transactions.run(async (tx) => {
        for (const entry of entries) {
          await tx.record(
            'security.denied',
            {},
            {
              kind: entry.kind,
              network: entry.network,
              count: entry.count,
              windowStart: entry.windowStart.toISOString(),
            },
          );
        }
      });
    } catch (error) {
      this.denials.restore(entries);
      throw error;
    }
  }
}
