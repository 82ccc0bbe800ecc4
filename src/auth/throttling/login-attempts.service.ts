import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { AppConfig } from '../../config/app-config';
import { TransactionRunner } from '../../events/transaction-runner.service';
import { LoginAttemptRepository } from './login-attempt.repository';

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
    private readonly attempts: LoginAttemptRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Throws 423 account_locked (with Retry-After) while the email is locked out. */
  async assertNotLocked(emailNormalized: string): Promise<void> {
    const until = (await this.attempts.lockedUntil(emailNormalized))?.getTime() ?? 0;
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
    return this.transactions.run(async (tx) => {
      const failures = await this.attempts.addFailure(tx, emailNormalized, now);
      if (failures < this.config.login.maxFailures) return { failures };
      await this.attempts.lock(tx, emailNormalized, lockedUntil);
      return { failures, lockedUntil };
    });
  }

  async clear(emailNormalized: string): Promise<void> {
    await this.transactions.run((tx) => this.attempts.clear(tx, emailNormalized));
  }
}
