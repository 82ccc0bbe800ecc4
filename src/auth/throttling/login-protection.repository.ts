import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryReturning } from '../../database/query-returning';
import type { Tx } from '../../events/transaction-runner.service';

export interface ProtectionCounter {
  scope: string;
  failures: number;
  lastFailureAt: Date;
}

/** login_protection: failed-login counters by (account key, scope). */
@Injectable()
export class LoginProtectionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Some counters of one account: one indexed statement per login check. */
  async counters(accountKey: string, scopes: readonly string[]): Promise<ProtectionCounter[]> {
    const rows = await this.dataSource.query<
      Array<{ scope: string; failures: number; last_failure_at: Date }>
    >(
      `SELECT scope, failures, last_failure_at FROM login_protection
        WHERE account_key = $1 AND scope = ANY($2::text[])`,
      [accountKey, [...scopes]],
    );
    return rows.map((row) => ({
      scope: row.scope,
      failures: Number(row.failures),
      lastFailureAt: new Date(row.last_failure_at),
    }));
  }

  /**
   * Counts one failure in each scope atomically (one upsert); a counter whose last failure is
   * older than `decayMs` starts again from 1. Returns the new counts.
   */
  async addFailure(
    tx: Tx,
    accountKey: string,
    scopes: readonly string[],
    at: Date,
    decayMs: number,
  ): Promise<Map<string, number>> {
    const values = scopes.map((_, i) => `($1, $${i + 4}, 1, $2)`).join(', ');
    const rows = await tx.manager.query<Array<{ scope: string; failures: number }>>(
      `INSERT INTO login_protection AS p (account_key, scope, failures, last_failure_at)
            VALUES ${values}
       ON CONFLICT (account_key, scope) DO UPDATE
             SET failures = CASE WHEN p.last_failure_at <= $2::timestamptz - $3 * interval '1 millisecond'
                                 THEN 1 ELSE p.failures + 1 END,
                 last_failure_at = $2
       RETURNING scope, failures`,
      [accountKey, at, decayMs, ...scopes],
    );
    return new Map(rows.map((row) => [row.scope, Number(row.failures)]));
  }

  /** Clears some scopes of an account (a success clears its network's and device's counters). */
  async clearScopes(tx: Tx, accountKey: string, scopes: readonly string[]): Promise<void> {
    const list = scopes.map((_, i) => `$${i + 2}`).join(', ');
    await tx.manager.query(
      `DELETE FROM login_protection WHERE account_key = $1 AND scope IN (${list})`,
      [accountKey, ...scopes],
    );
  }

  /** Deletes up to `limit` counters whose last failure is before `cutoff` (fully decayed). */
  async deleteDecayed(tx: Tx, cutoff: Date, limit: number): Promise<number> {
    const rows = await queryReturning<{ scope: string }>(
      tx.manager,
      `DELETE FROM login_protection WHERE (account_key, scope) IN (
         SELECT account_key, scope FROM login_protection
          WHERE last_failure_at < $1 LIMIT ${Number(limit)})
       RETURNING scope`,
      [cutoff],
    );
    return rows.length;
  }

  /** Clears every counter of an account (admin or CLI unlock, password reset). */
  async clearAccount(tx: Tx, accountKey: string): Promise<void> {
    await tx.manager.query(`DELETE FROM login_protection WHERE account_key = $1`, [accountKey]);
  }
}
