import { Injectable } from '@nestjs/common';
import { BackgroundWorker, type WorkerSchedule } from '../common/background-worker';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { TransactionRunner } from '../events/transaction-runner.service';
import { SessionRepository } from './session.repository';

/**
 * Records authenticated activity without a database write per request: the guard notes the
 * time in memory, and a flush writes each active session at most once per interval
 * (SESSION_ACTIVITY_WRITE_INTERVAL), in one statement for all of them.
 */
@Injectable()
export class ActivityTracker extends BackgroundWorker {
  private pending = new Map<string, number>();

  constructor(
    private readonly sessions: SessionRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    super(ActivityTracker.name);
  }

  protected schedule(): WorkerSchedule {
    return { intervalMs: this.config.session.activityWriteIntervalMs };
  }

  protected tick(): Promise<number> {
    return this.flush();
  }

  /** A last write at shutdown, so activity seen here is not lost. */
  protected override async drain(): Promise<void> {
    await this.flush().catch(() => undefined);
  }

  touch(sessionId: string): void {
    this.pending.set(sessionId, this.clock.nowMs());
  }

  /** Activity seen here and not yet written, for decisions that must not lag (refresh). */
  pendingActivity(sessionId: string): Date | undefined {
    const ms = this.pending.get(sessionId);
    return ms === undefined ? undefined : new Date(ms);
  }

  forget(sessionId: string): void {
    this.pending.delete(sessionId);
  }

  /** Writes the pending activity of every session touched since the last flush. */
  async flush(): Promise<number> {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    const ids = [...batch.keys()];
    const times = ids.map((id) => new Date(batch.get(id) ?? 0).toISOString());
    try {
      // Only moves forward, and never revives a session that ended or passed its idle deadline.
      await this.transactions.run((tx) => this.sessions.writeActivity(tx, ids, times));
    } catch (error) {
      // Put the batch back (newer activity wins) so a database blip loses nothing.
      for (const [id, ms] of batch) if ((this.pending.get(id) ?? 0) < ms) this.pending.set(id, ms);
      throw error;
    }
    return ids.length;
  }
}
