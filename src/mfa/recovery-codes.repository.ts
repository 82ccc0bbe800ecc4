import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { queryReturning } from '../database/query-returning';
import type { Tx } from '../events/transaction-runner.service';
import { RecoveryCodeEntity } from './recovery-code.entity';

/** Every statement on recovery_codes. */
@Injectable()
export class RecoveryCodesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The user's whole set becomes `hashes` (old codes, used or not, stop working). */
  async replace(tx: Tx, userId: string, hashes: readonly string[]): Promise<void> {
    await tx.manager.delete(RecoveryCodeEntity, { userId });
    const createdAt = tx.now();
    await tx.manager.insert(
      RecoveryCodeEntity,
      hashes.map((codeHash) => ({ userId, codeHash, createdAt, usedAt: null })),
    );
  }

  /** Marks one unused code used; true for exactly one of any racing callers. */
  async consume(tx: Tx, userId: string, codeHash: string): Promise<boolean> {
    const rows = await queryReturning<{ id: string }>(
      tx.manager,
      `UPDATE recovery_codes SET used_at = $3
       WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
       RETURNING id`,
      [userId, codeHash, tx.now()],
    );
    return rows.length === 1;
  }

  countUnused(userId: string, tx?: Tx): Promise<number> {
    const manager = tx?.manager ?? this.dataSource.manager;
    return manager.countBy(RecoveryCodeEntity, { userId, usedAt: IsNull() });
  }

  async deleteAll(tx: Tx, userId: string): Promise<void> {
    await tx.manager.delete(RecoveryCodeEntity, { userId });
  }
}
