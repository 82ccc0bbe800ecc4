import { deleteBatch } from '../database/delete-batch';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryReturning } from '../database/query-returning';
import type { Tx } from '../events/transaction-runner.service';
import type { WebAuthnChallengePurpose } from './webauthn-challenge.entity';
import { WebAuthnChallengeEntity } from './webauthn-challenge.entity';
import { WebAuthnCredentialEntity } from './webauthn-credential.entity';

export interface NewChallenge {
  challenge: string;
  purpose: WebAuthnChallengePurpose;
  userId: string | null;
  expiresAt: Date;
}

export type NewCredential = Omit<WebAuthnCredentialEntity, 'user' | 'device' | 'lastUsedAt'>;

/** Every statement on webauthn_credentials and webauthn_challenges. */
@Injectable()
export class WebAuthnRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insertChallenge(tx: Tx, challenge: NewChallenge): Promise<void> {
    await tx.manager.insert(WebAuthnChallengeEntity, {
      ...challenge,
      createdAt: tx.now(),
      consumedAt: null,
    });
  }

  /**
   * Spends a live challenge of this purpose: the row for exactly one caller, whatever the race;
   * undefined when it is unknown, expired, already spent or made for another purpose.
   */
  async consumeChallenge(
    tx: Tx,
    challenge: string,
    purpose: WebAuthnChallengePurpose,
  ): Promise<{ userId: string | null } | undefined> {
    const rows = await queryReturning<{ user_id: string | null }>(
      tx.manager,
      `UPDATE webauthn_challenges SET consumed_at = $3
       WHERE challenge = $1 AND purpose = $2 AND consumed_at IS NULL AND expires_at > $3
       RETURNING user_id`,
      [challenge, purpose, tx.now()],
    );
    return rows[0] ? { userId: rows[0].user_id } : undefined;
  }

  /** Housekeeping: challenges are worthless once expired or spent. */
  async purgeChallenges(tx: Tx, before: Date, limit: number): Promise<number> {
    return deleteBatch(tx.manager, {
      table: 'webauthn_challenges',
      where: 'expires_at < $1',
      params: [before],
      limit,
    });
  }

  async insertCredential(tx: Tx, credential: NewCredential): Promise<void> {
    await tx.manager.insert(WebAuthnCredentialEntity, { ...credential, lastUsedAt: null });
  }

  findCredential(id: string, tx?: Tx): Promise<WebAuthnCredentialEntity | null> {
    const manager = tx?.manager ?? this.dataSource.manager;
    return manager.findOneBy(WebAuthnCredentialEntity, { id });
  }

  listCredentials(userId: string, tx?: Tx): Promise<WebAuthnCredentialEntity[]> {
    const manager = tx?.manager ?? this.dataSource.manager;
    return manager.find(WebAuthnCredentialEntity, {
      where: { userId },
      order: { createdAt: 'ASC', id: 'ASC' },
    });
  }

  countCredentials(userId: string, tx?: Tx): Promise<number> {
    const manager = tx?.manager ?? this.dataSource.manager;
    return manager.countBy(WebAuthnCredentialEntity, { userId });
  }

  /** The user's credentials counted by the device they were registered from. */
  async countsByDevice(userId: string): Promise<Map<string, number>> {
    const rows = await this.dataSource.query<Array<{ device_id: string; n: number }>>(
      `SELECT device_id, count(*)::int AS n FROM webauthn_credentials
        WHERE user_id = $1 AND device_id IS NOT NULL
        GROUP BY device_id`,
      [userId],
    );
    return new Map(rows.map((row) => [row.device_id, Number(row.n)]));
  }

  /**
   * Records a verified assertion if the stored counter is still the one it was verified against
   * (compare-and-set): of two assertions verified against the same counter only one is recorded.
   */
  async recordUse(
    tx: Tx,
    id: string,
    use: { expectedCount: number; newCount: number; backupState: boolean },
  ): Promise<boolean> {
    const rows = await queryReturning<{ id: string }>(
      tx.manager,
      `UPDATE webauthn_credentials SET sign_count = $3, backup_state = $4, last_used_at = $5
       WHERE id = $1 AND sign_count = $2
       RETURNING id`,
      [id, use.expectedCount, use.newCount, use.backupState, tx.now()],
    );
    return rows.length === 1;
  }

  async rename(tx: Tx, userId: string, id: string, name: string): Promise<boolean> {
    const rows = await queryReturning<{ id: string }>(
      tx.manager,
      'UPDATE webauthn_credentials SET name = $3 WHERE id = $1 AND user_id = $2 RETURNING id',
      [id, userId, name],
    );
    return rows.length === 1;
  }

  /** Deletes one of the user's credentials; its name, or undefined when there was none. */
  async deleteCredential(tx: Tx, userId: string, id: string): Promise<string | undefined> {
    const rows = await queryReturning<{ name: string }>(
      tx.manager,
      'DELETE FROM webauthn_credentials WHERE id = $1 AND user_id = $2 RETURNING name',
      [id, userId],
    );
    return rows[0]?.name;
  }

  async deleteAllCredentials(tx: Tx, userId: string): Promise<Array<{ id: string; name: string }>> {
    return queryReturning<{ id: string; name: string }>(
      tx.manager,
      'DELETE FROM webauthn_credentials WHERE user_id = $1 RETURNING id, name',
      [userId],
    );
  }
}
