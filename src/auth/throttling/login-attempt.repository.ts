import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Tx } from '../../events/transaction-runner.service';

/** login_attempts: failed sign-ins and lockouts, by normalised email. */
@Injectable()
export class LoginAttemptRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async lockedUntil(emailNormalized: string): Promise<Date | null> {
    const [row] = await this.dataSource.query<Array<{ locked_until: Date | null }>>(
      `SELECT locked_until FROM login_attempts WHERE email_normalized = $1`,
      [emailNormalized],
    );
    return row?.locked_until ? new Date(row.locked_until) : null;
  }

  /** Counts one failure (a lockout that has run out starts the count again); returns the count. */
  async addFailure(tx: Tx, emailNormalized: string, at: Date): Promise<number> {
    const [row] = await tx.manager.query<Array<{ failures: number }>>(
      `INSERT INTO login_attempts AS a (email_normalized, failures, last_failure_at)
            VALUES ($1, 1, $2)
       ON CONFLICT (email_normalized) DO UPDATE
             SET failures = CASE WHEN a.locked_until IS NOT NULL AND a.locked_until <= $2 THEN 1 ELSE a.failures + 1 END,
                 locked_until = CASE WHEN a.locked_until IS NOT NULL AND a.locked_until <= $2 THEN NULL ELSE a.locked_until END,
                 last_failure_at = $2
       RETURNING failures`,
      [emailNormalized, at],
    );
    return row.failures;
  }

  async lock(tx: Tx, emailNormalized: string, until: Date): Promise<void> {
    await tx.manager.query(
      `UPDATE login_attempts SET locked_until = $2, failures = 0 WHERE email_normalized = $1`,
      [emailNormalized, until],
    );
  }

  async clear(tx: Tx, emailNormalized: string): Promise<void> {
    await tx.manager.query(`DELETE FROM login_attempts WHERE email_normalized = $1`, [
      emailNormalized,
    ]);
  }
}
