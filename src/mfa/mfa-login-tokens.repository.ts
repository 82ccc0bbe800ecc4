import { deleteBatch } from '../database/delete-batch';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, MoreThan } from 'typeorm';
import { queryReturning } from '../database/query-returning';
import type { Tx } from '../events/transaction-runner.service';
import {
  MfaLoginTokenEntity,
  type MfaDeviceHint,
  type MfaTransport,
} from './mfa-login-token.entity';

export type NewMfaLoginToken = Omit<MfaLoginTokenEntity, 'id' | 'user' | 'consumedAt'>;

interface TokenRow {
  id: string;
  token_hash: string;
  user_id: string;
  transport: MfaTransport;
  remember_me: boolean;
  device: MfaDeviceHint | null;
  ip: string | null;
  user_agent: string | null;
  first_factor_amr: string[];
  created_at: Date;
  expires_at: Date;
  consumed_at: Date | null;
}

function fromRow(row: TokenRow): MfaLoginTokenEntity {
  return Object.assign(new MfaLoginTokenEntity(), {
    id: row.id,
    tokenHash: row.token_hash,
    userId: row.user_id,
    transport: row.transport,
    rememberMe: row.remember_me,
    device: row.device,
    ip: row.ip,
    userAgent: row.user_agent,
    firstFactorAmr: row.first_factor_amr,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    consumedAt: row.consumed_at === null ? null : new Date(row.consumed_at),
  });
}

/** Every statement on mfa_login_tokens. */
@Injectable()
export class MfaLoginTokensRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(tx: Tx, token: NewMfaLoginToken): Promise<void> {
    await tx.manager.insert(MfaLoginTokenEntity, { ...token, consumedAt: null });
  }

  /** A live (unspent, unexpired) token by hash, without spending it. */
  findLive(tokenHash: string, now: Date, tx?: Tx): Promise<MfaLoginTokenEntity | null> {
    const manager = tx?.manager ?? this.dataSource.manager;
    return manager.findOneBy(MfaLoginTokenEntity, {
      tokenHash,
      consumedAt: IsNull(),
      expiresAt: MoreThan(now),
    });
  }

  /** Spends a live token: the row for exactly one caller, whatever the race. */
  async consume(tx: Tx, tokenHash: string): Promise<MfaLoginTokenEntity | undefined> {
    const rows = await queryReturning<TokenRow>(
      tx.manager,
      `UPDATE mfa_login_tokens SET consumed_at = $2
       WHERE token_hash = $1 AND consumed_at IS NULL AND expires_at > $2
       RETURNING *`,
      [tokenHash, tx.now()],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async purgeExpired(tx: Tx, before: Date, limit: number): Promise<number> {
    return deleteBatch(tx.manager, {
      table: 'mfa_login_tokens',
      where: 'expires_at < $1',
      params: [before],
      limit,
    });
  }
}
