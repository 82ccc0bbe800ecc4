import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { queryReturning } from '../common/sql';
import type { DeviceEntity } from '../devices/device.entity';
import type { EventContext, RevocationReason } from '../events/event-catalog';
import type { Tx } from '../events/transaction-runner.service';
import { ActivityTracker } from './activity-tracker.service';
import { newOpaqueToken, hashToken } from './refresh-token-crypto';
import { RefreshTokenEntity } from './refresh-token.entity';
import { SessionEntity } from './session.entity';
import { SessionPolicy } from './session-policy';
import {
  SESSION_ROW_SELECT,
  type SessionRow,
  type SessionView,
  toSessionView,
} from './session-views';
import { sessionNotFound } from './sessions.exception';
import { SessionEndings } from './session-endings.service';
import { type DeadlineRow, SessionExpiryService } from './session-expiry.service';

export interface NewSession {
  userId: string;
  roles: readonly string[];
  device: DeviceEntity;
  rememberMe: boolean;
  ip?: string;
  userAgent?: string;
}

export interface IssuedSession {
  session: SessionEntity;
  refreshToken: string;
}

export interface RevokeFilter {
  sessionIds?: readonly string[];
  userId?: string;
  deviceId?: string;
  exceptSessionId?: string;
}

export interface RefreshTokenOwner {
  sessionId: string;
  userId: string;
  sessionStatus: string;
  tokenStatus: string;
  expiresAt: Date;
  idleExpiresAt: Date;
  issuedAt: Date;
}

interface EndedRow {
  id: string;
  user_id: string;
  device_id: string | null;
}

/** Owns every state change of a session: create, revoke (one, all, all but one, by device). */
@Injectable()
export class SessionsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly policy: SessionPolicy,
    private readonly endings: SessionEndings,
    private readonly activity: ActivityTracker,
    private readonly expiry: SessionExpiryService,
    private readonly clock: Clock,
  ) {}

  /**
   * Starts a session at login. The caller holds the user's row lock, so concurrent logins of
   * one user are serialised and the session limit cannot be overshot by a race.
   */
  async create(tx: Tx, input: NewSession): Promise<IssuedSession> {
    const now = tx.now();
    await this.enforceLimit(tx, input);
    const timeouts = this.policy.timeoutsFor(input);
    const expiresAt = new Date(now.getTime() + timeouts.absoluteTimeoutMs);
    const idleExpiresAt = new Date(
      Math.min(now.getTime() + timeouts.idleTimeoutMs, expiresAt.getTime()),
    );
    const session = tx.manager.create(SessionEntity, {
      userId: input.userId,
      deviceId: input.device.id,
      status: 'active',
      rememberMe: input.rememberMe,
      createdAt: now,
      lastActiveAt: now,
      idleTimeoutSeconds: Math.round(timeouts.idleTimeoutMs / 1000),
      idleExpiresAt,
      expiresAt,
      ip: input.ip ?? null,
      userAgent: input.userAgent?.slice(0, 512) ?? null,
      refreshGeneration: 0,
      endedAt: null,
      endReason: null,
      endedBy: null,
    });
    await tx.manager.insert(SessionEntity, session);
    const refreshToken = await this.insertRefreshToken(tx, session.id, 0);
    await tx.record('session.created', this.contextOf(session), {
      rememberMe: input.rememberMe,
      idleExpiresAt: idleExpiresAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
    });
    return { session, refreshToken };
  }

  async insertRefreshToken(
    tx: Tx,
    sessionId: string,
    generation: number,
    token = newOpaqueToken(),
  ): Promise<string> {
    await tx.manager.insert(RefreshTokenEntity, {
      sessionId,
      tokenHash: hashToken(token),
      generation,
      status: 'active',
      createdAt: tx.now(),
      rotatedAt: null,
      successorSealed: null,
    });
    return token;
  }

  private async enforceLimit(tx: Tx, input: NewSession): Promise<void> {
    const max = this.policy.maxActiveSessions(input);
    const active = await tx.manager.query<DeadlineRow[]>(
      `SELECT id, user_id, device_id, expires_at, idle_expires_at, idle_timeout_seconds FROM sessions
        WHERE user_id = $1 AND status = 'active' ORDER BY last_active_at ASC, created_at ASC`,
      [input.userId],
    );
    const live = await this.expiry.expireDue(tx, active);
    const excess = live.length - (max - 1);
    if (excess > 0) {
      await this.revoke(
        tx,
        { sessionIds: live.slice(0, excess).map((row) => row.id) },
        'limit_evicted',
        {
          ip: input.ip,
          userAgent: input.userAgent,
        },
      );
    }
  }

  /**
   * Revokes the active sessions matching the filter; returns their ids. Effective on every
   * instance as soon as the transaction commits.
   */
  async revoke(
    tx: Tx,
    filter: RevokeFilter,
    reason: RevocationReason,
    context: { actorId?: string; ip?: string; userAgent?: string } = {},
  ): Promise<string[]> {
    const where: string[] = [`status = 'active'`];
    const params: unknown[] = [tx.now(), reason, context.actorId ?? null];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.sessionIds) add('id = ANY(?::uuid[])', filter.sessionIds);
    if (filter.userId) add('user_id = ?', filter.userId);
    if (filter.deviceId) add('device_id = ?', filter.deviceId);
    if (filter.exceptSessionId) add('id <> ?', filter.exceptSessionId);
    if (params.length === 3) throw new Error('revoke needs a filter');
    const rows = await queryReturning<EndedRow>(
      tx.manager,
      `UPDATE sessions SET status = 'revoked', ended_at = $1, end_reason = $2, ended_by = $3
        WHERE ${where.join(' AND ')} RETURNING id, user_id, device_id`,
      params,
    );
    return this.afterEnded(tx, rows, reason, context);
  }

  private async afterEnded(
    tx: Tx,
    rows: EndedRow[],
    reason: RevocationReason,
    context: { actorId?: string; ip?: string; userAgent?: string },
  ): Promise<string[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    for (const row of rows) {
      await tx.record(
        'session.revoked',
        {
          userId: row.user_id,
          sessionId: row.id,
          deviceId: row.device_id ?? undefined,
          ip: context.ip,
          userAgent: context.userAgent,
        },
        { reason, ...(context.actorId ? { actorId: context.actorId } : {}) },
      );
    }
    await this.endings.settle(tx, ids, 'revoked');
    return ids;
  }

  /** The session a refresh token belongs to (any generation), for revocation and introspection. */
  async findByRefreshToken(token: string): Promise<RefreshTokenOwner | undefined> {
    const [row] = await this.dataSource.query<RefreshTokenOwner[]>(
      `SELECT s.id AS "sessionId", s.user_id AS "userId", s.status AS "sessionStatus", t.status AS "tokenStatus",
              s.expires_at AS "expiresAt", s.idle_expires_at AS "idleExpiresAt", t.created_at AS "issuedAt"
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = $1`,
      [hashToken(token)],
    );
    return row;
  }

  /** The caller's own sessions, active ones first, most recently active first. */
  async listForUser(userId: string, currentSessionId?: string): Promise<SessionView[]> {
    const now = this.clock.now();
    const rows: SessionRow[] = await this.dataSource.query(
      `SELECT ${SESSION_ROW_SELECT} FROM sessions s LEFT JOIN devices d ON d.id = s.device_id
        WHERE s.user_id = $1 AND s.status = 'active' AND s.expires_at > $2 AND s.idle_expires_at > $2
        ORDER BY s.last_active_at DESC, s.id LIMIT 200`,
      [userId, now],
    );
    return rows.map((row) => this.withPendingActivity(toSessionView(row, currentSessionId)));
  }

  async getView(sessionId: string, currentSessionId?: string): Promise<SessionView> {
    const rows: SessionRow[] = await this.dataSource.query(
      `SELECT ${SESSION_ROW_SELECT} FROM sessions s LEFT JOIN devices d ON d.id = s.device_id WHERE s.id = $1`,
      [sessionId],
    );
    if (rows.length === 0) throw sessionNotFound();
    return this.withPendingActivity(toSessionView(rows[0], currentSessionId));
  }

  /** Revokes one of the caller's sessions; another user's session id is a 404. */
  async revokeOwn(
    tx: Tx,
    userId: string,
    sessionId: string,
    context: { ip?: string; userAgent?: string },
  ): Promise<void> {
    const owned: Array<{ id: string }> = await tx.manager.query(
      `SELECT id FROM sessions WHERE id = $1 AND user_id = $2 AND status = 'active'`,
      [sessionId, userId],
    );
    if (owned.length === 0) throw sessionNotFound();
    await this.revoke(tx, { sessionIds: [sessionId] }, 'user', {
      ip: context.ip,
      userAgent: context.userAgent,
    });
  }

  private contextOf(session: SessionEntity): EventContext {
    return {
      userId: session.userId,
      sessionId: session.id,
      deviceId: session.deviceId ?? undefined,
      ip: session.ip ?? undefined,
      userAgent: session.userAgent ?? undefined,
    };
  }

  /** Shows activity this instance has seen but not yet written. */
  private withPendingActivity(view: SessionView): SessionView {
    const pending = this.activity.pendingActivity(view.id);
    if (!pending || pending.toISOString() <= view.lastActiveAt) return view;
    return { ...view, lastActiveAt: pending.toISOString() };
  }
}
