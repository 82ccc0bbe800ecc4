import {
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { isDatabaseUnavailable } from '../common/database-errors';
import { AppConfig } from '../config/app-config';

/**
 * Records authenticated activity without a database write per request: the guard notes the
 * time in memory, and a flush writes each active session at most once per interval
 * (SESSION_ACTIVITY_WRITE_INTERVAL), in one statement for all of them.
 */
@Injectable()
export class ActivityTracker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(ActivityTracker.name);
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.flush().catch((error: unknown) => {
        if (!isDatabaseUnavailable(error))
          this.logger.error(error instanceof Error ? error : String(error));
      });
    }, this.config.session.activityWriteIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
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
      await this.dataSource.query(
        `UPDATE sessions s
            SET last_active_at = v.t,
                idle_expires_at = LEAST(s.expires_at, v.t + make_interval(secs => s.idle_timeout_seconds))
           FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, t)
          WHERE s.id = v.id AND s.status = 'active' AND s.last_active_at < v.t AND s.idle_expires_at > v.t
            -- Never wait on (or deadlock with) a refresh or revocation holding a row: a refresh
            -- writes fresher activity itself, and an ending session's activity no longer matters.
            AND s.id IN (SELECT id FROM sessions WHERE id = ANY($1::uuid[]) FOR UPDATE SKIP LOCKED)`,
        [ids, times],
      );
    } catch (error) {
      // Put the batch back (newer activity wins) so a database blip loses nothing.
      for (const [id, ms] of batch) if ((this.pending.get(id) ?? 0) < ms) this.pending.set(id, ms);
      throw error;
    }
    return ids.length;
  }
}
