import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryReturning } from '../database/query-returning';
import type { Tx } from '../events/transaction-runner.service';
import { RefreshTokenEntity } from './refresh-token.entity';

export interface RefreshTokenRow {
  id: string;
  session_id: string;
  generation: number;
  status: 'active' | 'rotated' | 'revoked';
  rotated_at: Date | string | null;
  successor_sealed: string | null;
}

/** A refresh token joined with its session, for revocation and introspection. */
export interface RefreshTokenOwner {
  sessionId: string;
  userId: string;
  sessionStatus: string;
  tokenStatus: string;
  expiresAt: Date;
  idleExpiresAt: Date;
  issuedAt: Date;
}

const TOKEN_COLUMNS = 'id, session_id, generation, status, rotated_at, successor_sealed';

/** The refresh_tokens table (only hashes are stored). */
@Injectable()
export class RefreshTokenRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(tx: Tx, sessionId: string, tokenHash: string, generation: number): Promise<void> {
    await tx.manager.insert(RefreshTokenEntity, {
      sessionId,
      tokenHash,
      generation,
      status: 'active',
      createdAt: tx.now(),
      rotatedAt: null,
      successorSealed: null,
    });
  }

  async sessionIdOf(tx: Tx, tokenHash: string): Promise<string | undefined> {
    const [owner] = await tx.manager.query<Array<{ session_id: string }>>(
      `SELECT session_id FROM refresh_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    return owner?.session_id;
  }

  async findByHash(tx: Tx, tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const [token] = await tx.manager.query<RefreshTokenRow[]>(
      `SELECT ${TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    return token;
  }

  async isActive(tx: Tx, tokenHash: string): Promise<boolean> {
    const rows = await tx.manager.query<unknown[]>(
      `SELECT 1 FROM refresh_tokens WHERE token_hash = $1 AND status = 'active'`,
      [tokenHash],
    );
    return rows.length > 0;
  }

  /** The conditional UPDATE that lets exactly one of racing refreshes win the token. */
  async markRotatedIfActive(tx: Tx, tokenHash: string): Promise<RefreshTokenRow | undefined> {
    const [won] = await queryReturning<RefreshTokenRow>(
      tx.manager,
      `UPDATE refresh_tokens SET status = 'rotated', rotated_at = $2
        WHERE token_hash = $1 AND status = 'active'
        RETURNING ${TOKEN_COLUMNS}`,
      [tokenHash, tx.now()],
    );
    return won;
  }

  async undoRotation(tx: Tx, tokenId: string): Promise<void> {
    await tx.manager.query(
      `UPDATE refresh_tokens SET status = 'active', rotated_at = NULL WHERE id = $1`,
      [tokenId],
    );
  }

  async sealSuccessor(tx: Tx, tokenId: string, sealed: string): Promise<void> {
    await tx.manager.query(`UPDATE refresh_tokens SET successor_sealed = $2 WHERE id = $1`, [
      tokenId,
      sealed,
    ]);
  }

  /** Kills every token of the sessions, including a sealed grace successor. */
  async revokeForSessions(tx: Tx, sessionIds: readonly string[]): Promise<void> {
    await tx.manager.query(
      `UPDATE refresh_tokens SET status = 'revoked', successor_sealed = NULL
        WHERE session_id = ANY($1::uuid[]) AND status <> 'revoked'`,
      [sessionIds],
    );
  }

  async findOwner(tokenHash: string): Promise<RefreshTokenOwner | undefined> {
    const [row] = await this.dataSource.query<RefreshTokenOwner[]>(
      `SELECT s.id AS "sessionId", s.user_id AS "userId", s.status AS "sessionStatus", t.status AS "tokenStatus",
              s.expires_at AS "expiresAt", s.idle_expires_at AS "idleExpiresAt", t.created_at AS "issuedAt"
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = $1`,
      [tokenHash],
    );
    return row;
  }
}
