import type { Clock } from './clock';
import { BackgroundWorker, type WorkerSchedule } from './background-worker';
import type { TransactionRunner, Tx } from '../events/transaction-runner.service';

const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
/** After start-up settles: a fleet restarting together does not prune all at once. */
const FIRST_PRUNE_DELAY_MS = 2 * 60 * 1000;
const BATCH = 5000;

/**
 * A table that only grows unless something deletes its dead rows (expired tokens and challenges,
 * decayed counters, published events). Hourly, in short transactions of at most BATCH rows so a
 * large backlog never holds locks for long; one run at a time per instance, and concurrent
 * instances are safe because every batch deletes rows it selected with SKIP LOCKED or by a
 * condition that only ever matches dead rows.
 */
export abstract class BatchPruner extends BackgroundWorker {
  private running?: Promise<void>;

  protected constructor(
    name: string,
    /** What the log line calls the rows, e.g. "expired password reset tokens". */
    private readonly rows: string,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
  ) {
    super(name);
  }

  /** Deletes at most `limit` dead rows as of `now`; returns how many went. */
  protected abstract pruneBatch(tx: Tx, now: Date, limit: number): Promise<number>;

  protected schedule(): WorkerSchedule {
    return { intervalMs: PRUNE_INTERVAL_MS, firstRunMs: FIRST_PRUNE_DELAY_MS };
  }

  protected override async drain(): Promise<void> {
    await this.running;
  }

  /** Deletes every dead row, batch by batch; the count. Also what the tests and CLI call. */
  async prune(batch = BATCH): Promise<number> {
    const now = new Date(this.clock.nowMs());
    let total = 0;
    for (;;) {
      const deleted = await this.transactions.run((tx) => this.pruneBatch(tx, now, batch));
      total += deleted;
      if (deleted < batch || this.stopped) return total;
    }
  }

  protected tick(): void {
    if (this.running) return;
    this.running = this.prune()
      .then((count) => {
        if (count > 0) this.logger.log(`pruned ${count} ${this.rows}`);
      })
      .catch((error: unknown) => this.reportFailure(error))
      .finally(() => {
        this.running = undefined;
      });
  }
}
