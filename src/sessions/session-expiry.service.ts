import { Injectable } from '@nestjs/common';
import { BackgroundWorker, type WorkerSchedule } from '../common/background-worker';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import type { ExpiryReason } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { ActivityTracker } from './activity-tracker.service';
import { REVOCATION_HORIZON_MS } from './revocation-view.service';
import { SessionEndings } from './session-endings.service';
import { type DeadlineRow, SessionRepository } from './session.repository';

export type { DeadlineRow };

const BATCH = 500;
const SWEEP_INTERVAL_MS = 60_000;
/**
 * Ended sessions are kept this long for the user's and the admins' history, then deleted. It
 * must stay far above REVOCATION_HORIZON_MS: the revocation view is rebuilt from these rows.
 */
const ENDED_RETENTION_MS = Math.max(30 * 86_400_000, REVOCATION_HORIZON_MS);

/**
 * Decides and records session expiry. A session expires exactly once: the status change is a
 * conditional UPDATE, and only the transaction that wins it records `session.expired`.
 */
@Injectable()
export class SessionExpiryService extends BackgroundWorker {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly transactions: TransactionRunner,
    private readonly activity: ActivityTracker,
    private readonly endings: SessionEndings,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {
    super(SessionExpiryService.name);
  }

  protected schedule(): WorkerSchedule {
    return { intervalMs: SWEEP_INTERVAL_MS };
  }

  protected tick(): Promise<number> {
    return this.sweep();
  }

  /** Why this session is over at `now`, counting activity not yet written; undefined if live. */
  dueReason(row: DeadlineRow, now: Date): ExpiryReason | undefined {
    const absolute = new Date(row.expires_at).getTime();
    if (now.getTime() >= absolute) return 'absolute';
    const pending = this.activity.pendingActivity(row.id);
    const pendingDeadline = pending ? pending.getTime() + row.idle_timeout_seconds * 1000 : 0;
    const idleDeadline = Math.max(
      new Date(row.idle_expires_at).getTime(),
      Math.min(pendingDeadline, absolute),
    );
    return now.getTime() >= idleDeadline ? 'idle' : undefined;
  }

  /**
   * Why a session can no longer be used, expiring it now if its deadline has passed; undefined
   * while it is live. For the rare expired-token path, never the hot path.
   */
  async endedStatus(sessionId: string): Promise<'revoked' | 'expired' | undefined> {
    return this.transactions.run(async (tx) => {
      const row = await this.sessions.lockDeadline(tx, sessionId);
      if (!row || row.status === 'revoked') return 'revoked';
      if (row.status === 'expired') return 'expired';
      const reason = this.dueReason(row, tx.now());
      if (!reason) return undefined;
      await this.markExpired(tx, [row.id], reason);
      return 'expired';
    });
  }

  /** Expires those rows whose deadlines have passed; returns the ones still live. */
  async expireDue<T extends DeadlineRow>(tx: Tx, rows: T[]): Promise<T[]> {
    const now = tx.now();
    const live: T[] = [];
    for (const row of rows) {
      const reason = this.dueReason(row, now);
      if (reason) await this.markExpired(tx, [row.id], reason);
      else live.push(row);
    }
    return live;
  }

  /** Marks sessions expired (once) and announces it; returns the ids this call expired. */
  async markExpired(tx: Tx, ids: readonly string[], reason: ExpiryReason): Promise<string[]> {
    const rows = await this.sessions.markExpired(tx, ids, reason);
    if (rows.length === 0) return [];
    const expired = rows.map((row) => row.id);
    for (const row of rows) {
      await tx.record(
        'session.expired',
        { userId: row.user_id, sessionId: row.id, deviceId: row.device_id ?? undefined },
        { reason },
      );
    }
    await this.endings.settle(tx, expired, 'expired');
    return expired;
  }

  /**
   * The scheduled clean-up: expires overdue sessions in small batches (short locks, SKIP LOCKED
   * so instances share the work) and deletes long-ended ones. Returns how many it expired.
   */
  async sweep(): Promise<number> {
    await this.activity.flush();
    // Activity on other instances may be up to one write interval behind in the database.
    const idleGraceMs = this.config.session.activityWriteIntervalMs;
    let total = 0;
    for (;;) {
      const { claimed, expired } = await this.transactions.run(async (tx) => {
        const now = tx.now();
        const due = await this.sessions.claimDue(
          tx,
          now,
          new Date(now.getTime() - idleGraceMs),
          BATCH,
        );
        const byReason = (reason: ExpiryReason | null): string[] =>
          due.filter((row) => row.reason === reason).map((row) => row.id);
        const absolute = await this.markExpired(tx, byReason('absolute'), 'absolute');
        const idle = await this.markExpired(tx, byReason('idle'), 'idle');
        await this.sessions.advanceIdleSweep(tx, byReason(null));
        return { claimed: due.length, expired: absolute.length + idle.length };
      });
      total += expired;
      if (claimed < BATCH) break;
    }
    await this.deleteLongEnded();
    return total;
  }

  private async deleteLongEnded(): Promise<void> {
    const cutoff = new Date(this.clock.nowMs() - ENDED_RETENTION_MS);
    for (;;) {
      const deleted = await this.transactions.run((tx) =>
        this.sessions.deleteEndedBefore(tx, cutoff, BATCH),
      );
      if (deleted < BATCH) return;
    }
  }
}
