import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { Tx } from '../events/transaction-runner.service';
import { USER_VIEW_SELECT, type UserViewColumns } from '../users/user-view-columns';
import type { IssuedRefreshTokenKey, RefreshTokenKey } from './refresh-token-key';
import type { SessionEntity } from './session.entity';

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

/**
 * SQL matching row `alias` to a presented token's key, which is always $1 (id) and $2 (hash):
 * by primary key for issued tokens; by hash, through the partial index on legacy rows, for
 * tokens of the id-less format.
 */
export function keyMatch(alias: string, key: RefreshTokenKey): string {
  return key.id !== null
    ? `${alias}.id = $1::uuid AND ${alias}.token_hash = $2`
    : `$1::uuid IS NULL AND ${alias}.legacy_format AND ${alias}.token_hash = $2`;
}

const TOKEN_COLUMNS = 'id, session_id, generation, status, rotated_at, successor_sealed';

/** The session's columns under the entity's property names. */
const SESSION_COLUMNS = `s.id AS "id", s.user_id AS "userId", s.device_id AS "deviceId", s.status AS "status",
  s.remember_me AS "rememberMe", s.created_at AS "createdAt", s.last_active_at AS "lastActiveAt",
  s.idle_timeout_seconds AS "idleTimeoutSeconds", s.idle_expires_at AS "idleExpiresAt",
  s.idle_sweep_at AS "idleSweepAt", s.expires_at AS "expiresAt", s.ip AS "ip", s.user_agent AS "userAgent",
  s.refresh_generation AS "refreshGeneration", s.ended_at AS "endedAt", s.end_reason AS "endReason",
  s.ended_by AS "endedBy", s.auth_time AS "authTime", s.amr AS "amr",
  s.dpop_jkt AS "dpopJkt"`;

/** The device columns a rotation needs (hijack check, the session view). */
export interface RotationDeviceColumns {
  device_client_id: string | null;
  device_name: string | null;
  device_platform: string | null;
  device_os: string | null;
  device_browser: string | null;
  device_trusted: boolean | null;
}

/** Everything a refresh decides on, read in one statement with the session row locked. */
export type RotationRow = SessionEntity &
  RotationDeviceColumns &
  UserViewColumns & {
    token_id: string;
    token_status: RefreshTokenRow['status'];
    token_generation: number;
    token_rotated_at: Date | string | null;
    token_successor_sealed: string | null;
  };

export interface Rotation {
  tokenId: string;
  at: Date;
  /** The successor sealed with the presented token (grace replays), or null. */
  successorSealed: string | null;
  successor: IssuedRefreshTokenKey;
  idleExpiresAt: Date;
  ip: string | null;
  userAgent: string | null;
  /** The session's DPoP key thumbprint after the rotation (a proof may bind it now). */
  dpopJkt: string | null;
}

/** The refresh_tokens table (only hashes are stored). */
@Injectable()
export class RefreshTokenRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The presented token with its session (row-locked: session before tokens, the one lock order
   * every path keeps), the session's device and its user: one statement for every decision a
   * refresh makes. The token's columns are as read before any wait for the lock; a token
   * rotated meanwhile is caught by rotate()'s condition.
   */
  async lockForRotation(tx: Tx, key: RefreshTokenKey): Promise<RotationRow | undefined> {
    const [row] = await tx.manager.query<RotationRow[]>(
      `SELECT t.id AS token_id, t.status AS token_status, t.generation AS token_generation,
              t.rotated_at AS token_rotated_at, t.successor_sealed AS token_successor_sealed,
              ${SESSION_COLUMNS}, u.id AS user_id, ${USER_VIEW_SELECT},
              d.client_device_id AS device_client_id, d.name AS device_name,
              d.platform AS device_platform, d.os AS device_os, d.browser AS device_browser,
              d.trusted AS device_trusted
         FROM refresh_tokens t
         JOIN sessions s ON s.id = t.session_id
         JOIN users u ON u.id = s.user_id
         LEFT JOIN devices d ON d.id = s.device_id
        WHERE ${keyMatch('t', key)}
          FOR UPDATE OF s`,
      [key.id, key.hash],
    );
    return row;
  }

  /**
   * The rotation, in one statement: the presented token becomes rotated only if it is still
   * active (the condition that lets exactly one of racing refreshes win), its successor is
   * inserted and the session's activity written. Returns the successor's generation, or
   * undefined when the token was no longer active (nothing written).
   */
  async rotate(tx: Tx, rotation: Rotation): Promise<number | undefined> {
    const [row] = await tx.manager.query<Array<{ generation: number }>>(
      `WITH won AS (
         UPDATE refresh_tokens SET status = 'rotated', rotated_at = $2, successor_sealed = $3
          WHERE id = $1 AND status = 'active'
          RETURNING session_id, generation),
       successor AS (
         INSERT INTO refresh_tokens (id, session_id, token_hash, generation, status, created_at)
         SELECT $9, session_id, $4, generation + 1, 'active', $2 FROM won
         RETURNING generation),
       touched AS (
         -- Only unindexed columns change (idle_sweep_at only if the deadline moved back), so
         -- the update is HOT: no entry in any of the table's indexes.
         UPDATE sessions s
            SET last_active_at = $2, idle_expires_at = $5, refresh_generation = won.generation + 1,
                ip = $6, user_agent = $7, dpop_jkt = $8, idle_sweep_at = LEAST(s.idle_sweep_at, $5)
           FROM won WHERE s.id = won.session_id
         RETURNING s.id)
       SELECT generation FROM successor`,
      [
        rotation.tokenId,
        rotation.at,
        rotation.successorSealed,
        rotation.successor.hash,
        rotation.idleExpiresAt,
        rotation.ip,
        rotation.userAgent,
        rotation.dpopJkt,
        rotation.successor.id,
      ],
    );
    return row ? Number(row.generation) : undefined;
  }

  async findByKey(tx: Tx, key: RefreshTokenKey): Promise<RefreshTokenRow | undefined> {
    const [token] = await tx.manager.query<RefreshTokenRow[]>(
      `SELECT ${TOKEN_COLUMNS} FROM refresh_tokens t WHERE ${keyMatch('t', key)}`,
      [key.id, key.hash],
    );
    return token;
  }

  async isActive(tx: Tx, key: RefreshTokenKey): Promise<boolean> {
    const rows = await tx.manager.query<unknown[]>(
      `SELECT 1 FROM refresh_tokens t WHERE ${keyMatch('t', key)} AND t.status = 'active'`,
      [key.id, key.hash],
    );
    return rows.length > 0;
  }

  /** Kills every token of the sessions, including a sealed grace successor. */
  async revokeForSessions(tx: Tx, sessionIds: readonly string[]): Promise<void> {
    await tx.manager.query(
      `UPDATE refresh_tokens SET status = 'revoked', successor_sealed = NULL
        WHERE session_id = ANY($1::uuid[]) AND status <> 'revoked'`,
      [sessionIds],
    );
  }

  async findOwner(key: RefreshTokenKey): Promise<RefreshTokenOwner | undefined> {
    const [row] = await this.dataSource.query<RefreshTokenOwner[]>(
      `SELECT s.id AS "sessionId", s.user_id AS "userId", s.status AS "sessionStatus", t.status AS "tokenStatus",
              s.expires_at AS "expiresAt", s.idle_expires_at AS "idleExpiresAt", t.created_at AS "issuedAt"
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE ${keyMatch('t', key)}`,
      [key.id, key.hash],
    );
    return row;
  }
}
