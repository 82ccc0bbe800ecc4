import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type QueryDeepPartialEntity } from 'typeorm';
import { queryReturning } from '../../database/query-returning';
import type { Tx } from '../../events/transaction-runner.service';
import { SigningKeyEntity } from './signing-key.entity';

/** signing_keys: the generated access-token signing keys every instance shares. */
@Injectable()
export class SigningKeyRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Every key, oldest first (retired ones included: the store filters by time). */
  async all(tx?: Tx): Promise<SigningKeyEntity[]> {
    const manager = tx?.manager ?? this.dataSource.manager;
    return manager
      .getRepository(SigningKeyEntity)
      .find({ order: { signFrom: 'ASC', createdAt: 'ASC' } });
  }

  /**
   * Serialises key changes across instances (first-start generation, rotations) until the
   * transaction ends; readers are not blocked.
   */
  async lock(tx: Tx): Promise<void> {
    await tx.manager.query(`LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE`);
  }

  async insert(tx: Tx, key: SigningKeyEntity): Promise<void> {
    // The JWK type's index signature is wider than TypeORM's partial type; the row is complete.
    await tx.manager.insert(SigningKeyEntity, key as QueryDeepPartialEntity<SigningKeyEntity>);
  }

  /** Sets `retire_after` on every key that has none yet, except `keepKid`. */
  async retireOthers(tx: Tx, keepKid: string, retireAfter: Date): Promise<string[]> {
    const rows = await queryReturning<{ kid: string }>(
      tx.manager,
      `UPDATE signing_keys SET retire_after = $1 WHERE retire_after IS NULL AND kid <> $2 RETURNING kid`,
      [retireAfter, keepKid],
    );
    return rows.map((row) => row.kid);
  }

  /**
   * Deletes up to `limit` keys retired before `cutoff` (never one in `keepKids`, nor one without
   * a retirement: the active and pending keys have none, or one still ahead); returns their kids.
   */
  async deleteRetiredBefore(
    tx: Tx,
    cutoff: Date,
    keepKids: readonly string[],
    limit: number,
  ): Promise<string[]> {
    const rows = await queryReturning<{ kid: string }>(
      tx.manager,
      `DELETE FROM signing_keys WHERE kid IN (
         SELECT kid FROM signing_keys
          WHERE retire_after IS NOT NULL AND retire_after < $1 AND kid <> ALL($2::varchar[])
          ORDER BY retire_after LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING kid`,
      [cutoff, [...keepKids], limit],
    );
    return rows.map((row) => row.kid);
  }
}
