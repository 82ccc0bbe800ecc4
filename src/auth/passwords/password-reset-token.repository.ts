import { deleteBatch } from '../../database/delete-batch';
import { Injectable } from '@nestjs/common';
import { queryReturning } from '../../database/query-returning';
import type { Tx } from '../../events/transaction-runner.service';
import { PasswordResetTokenEntity } from './password-reset-token.entity';

/** password_reset_tokens (hashes only). */
@Injectable()
export class PasswordResetTokenRepository {
  /** Voids the user's unused tokens (a new request replaces them). */
  async voidUnused(tx: Tx, userId: string): Promise<void> {
    await tx.manager.query(
      `UPDATE password_reset_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL`,
      [userId, tx.now()],
    );
  }

  async insert(tx: Tx, userId: string, tokenHash: string, expiresAt: Date): Promise<void> {
    await tx.manager.insert(PasswordResetTokenEntity, {
      userId,
      tokenHash,
      createdAt: tx.now(),
      expiresAt,
      usedAt: null,
    });
  }

  /** Deletes up to `limit` tokens that expired before `now` (used or not, they are worthless). */
  async deleteExpired(tx: Tx, now: Date, limit: number): Promise<number> {
    return deleteBatch(tx.manager, {
      table: 'password_reset_tokens',
      where: 'expires_at < $1',
      params: [now],
      limit,
    });
  }

  /** Uses the token if it is unused and unexpired (exactly once); returns its user id. */
  async claim(tx: Tx, tokenHash: string): Promise<string | undefined> {
    const [claimed] = await queryReturning<{ user_id: string }>(
      tx.manager,
      `UPDATE password_reset_tokens SET used_at = $2
        WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id`,
      [tokenHash, tx.now()],
    );
    return claimed?.user_id;
  }
}
