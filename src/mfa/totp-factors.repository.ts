import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryReturning } from '../database/query-returning';
import type { Tx } from '../events/transaction-runner.service';
import { TotpFactorEntity } from './totp-factor.entity';

/** Every statement on totp_factors. */
@Injectable()
export class TotpFactorsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  find(userId: string, tx?: Tx): Promise<TotpFactorEntity | null> {
    const manager = tx?.manager ?? this.dataSource.manager;
    return manager.findOneBy(TotpFactorEntity, { userId });
  }

  /**
   * Stores a new pending seed, replacing an unconfirmed one. False when a confirmed factor
   * exists: that one is only ever replaced by disabling it first.
   */
  async upsertPending(tx: Tx, userId: string, secretSealed: string): Promise<boolean> {
    const rows = await queryReturning<{ user_id: string }>(
      tx.manager,
      `INSERT INTO totp_factors (user_id, secret_sealed, confirmed_at, last_used_step, created_at)
       VALUES ($1, $2, NULL, 0, $3)
       ON CONFLICT (user_id) DO UPDATE
         SET secret_sealed = EXCLUDED.secret_sealed, last_used_step = 0,
             created_at = EXCLUDED.created_at
         WHERE totp_factors.confirmed_at IS NULL
       RETURNING user_id`,
      [userId, secretSealed, tx.now()],
    );
    return rows.length === 1;
  }

  /** Confirms a pending factor and spends the confirming code's step, in one statement. */
  async confirm(tx: Tx, userId: string, step: number): Promise<boolean> {
    const rows = await queryReturning<{ user_id: string }>(
      tx.manager,
      `UPDATE totp_factors SET confirmed_at = $2, last_used_step = $3
       WHERE user_id = $1 AND confirmed_at IS NULL AND last_used_step < $3
       RETURNING user_id`,
      [userId, tx.now(), step],
    );
    return rows.length === 1;
  }

  /**
   * Spends a time step: true for exactly one of any number of racing callers with the same step
   * (the row lock serialises them and the loser re-checks `last_used_step < step` and fails).
   */
  async spendStep(tx: Tx, userId: string, step: number): Promise<boolean> {
    const rows = await queryReturning<{ user_id: string }>(
      tx.manager,
      `UPDATE totp_factors SET last_used_step = $2
       WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_used_step < $2
       RETURNING user_id`,
      [userId, step],
    );
    return rows.length === 1;
  }

  /** Removes the factor; answers whether a confirmed one was removed. */
  async delete(tx: Tx, userId: string): Promise<{ removed: boolean; wasConfirmed: boolean }> {
    const rows = await queryReturning<{ confirmed_at: Date | null }>(
      tx.manager,
      'DELETE FROM totp_factors WHERE user_id = $1 RETURNING confirmed_at',
      [userId],
    );
    return { removed: rows.length > 0, wasConfirmed: rows.some((r) => r.confirmed_at !== null) };
  }
}
