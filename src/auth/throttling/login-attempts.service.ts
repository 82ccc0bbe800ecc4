import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';

export interface FailureOutcome {
  failures: number;
  /** Set when this failure started a lockout. */
  lockedUntil?: Date;
}

/**
 * Account lockout after LOGIN_MAX_FAILURES failed logins, for LOCKOUT_DURATION. Keyed by the
 * normalised email whether or not an account exists, so a locked unknown email answers 423
 * exactly like a locked real one. Unlocks by itself when the time is up.
 */
@Injectable()
export class LoginAttemptsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Throws 423 account_locked (with Retry-After) while the email is locked out. */
  async assertNotLocked(emailNormalized: string): Promise<void> {
    const [row] = await this.dataSource.query<Array<{ locked_until: Date | null }>>(
      `SELECT locked_until FROM login_attempts WHERE email_normalized = $1`,
      [emailNormalized],
    );
    const until = row?.locked_until ? new Date(row.locked_until).getTime() : 0;
    const remainingMs = until - this.clock.nowMs();
    if (remainingMs > 0) {
      throw new AppException(
        'account_locked',
        'Too many failed sign-in attempts; try again later',
        {
          retryAfterSeconds: remainingMs / 1000,
        },
      );
    }
  }

  /** Counts a failure atomically; the one that reaches the limit starts the lockout. */
  async recordFailure(emailNormalized: string): Promise<FailureOutcome> {
    const now = this.clock.now();
    const lockedUntil = new Date(now.getTime() + this.config.login.lockoutMs);
    const [row] = await this.dataSource.query<Array<{ failures: number }>>(
      `INSERT INTO login_attempts AS a (email_normalized, failures, last_failure_at)
            VALUES ($1, 1, $2)
       ON CONFLICT (email_normalized) DO UPDATE
             SET failures = CASE WHEN a.locked_until IS NOT NULL AND a.locked_until <= $2 THEN 1 ELSE a.failures + 1 END,
                 locked_until = CASE WHEN a.locked_until IS NOT NULL AND a.locked_until <= $2 THEN NULL ELSE a.locked_until END,
                 last_failure_at = $2
       RETURNING failures`,
      [emailNormalized, now],
    );
    if (row.failures < this.config.login.maxFailures) return { failures: row.failures };
    await this.dataSource.query(
      `UPDATE login_attempts SET locked_until = $2, failures = 0 WHERE email_normalized = $1`,
      [emailNormalized, lockedUntil],
    );
    return { failures: row.failures, lockedUntil };
  }

  async clear(emailNormalized: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM login_attempts WHERE email_normalized = $1`, [
      emailNormalized,
    ]);
  }
}
