import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import type { DeviceEntity } from '../devices/device.entity';
import type { EventContext, RevocationReason } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { DevicesService } from '../devices/devices.service';
import type { RequestMeta } from '../common/auth-context';
import { ActivityTracker } from './activity-tracker.service';
import { type CurrentSession, CurrentSessionCache } from './current-session-cache';
import { newRefreshToken, refreshTokenKey } from './refresh-token-key';
import type { SessionEntity } from './session.entity';
import { type EndedRow, type RevokeFilter, SessionRepository } from './session.repository';
import { type RefreshTokenOwner, RefreshTokenRepository } from './refresh-token.repository';
import { SessionPolicy } from './session-policy';
import { newSessionView, type SessionView, toSessionView } from './session-views';
import { sessionNotFound } from './sessions.exception';
import { SessionEndings } from './session-endings.service';
import { SessionExpiryService } from './session-expiry.service';
import { userFromColumns } from '../users/user-view-columns';
import type { UserViewSource } from '../users/users.service';

export interface NewSession {
  userId: string;
  roles: readonly string[];
  device: DeviceEntity;
  rememberMe: boolean;
  /** How the user authenticated (RFC 8176), e.g. ['pwd'] or ['pwd', 'otp', 'mfa']. */
  amr: readonly string[];
  ip?: string;
  userAgent?: string;
  /** DPoP (RFC 9449): the thumbprint of the key the login's proof was signed with. */
  dpopJkt?: string;
}

export interface IssuedSession {
  session: SessionEntity;
  refreshToken: string;
  /** The new session as GET /sessions shows it, made from memory (no read back). */
  view: SessionView;
}

export type { RefreshTokenOwner, RevokeFilter };

/** Owns every state change of a session: create, revoke (one, all, all but one, by device). */
@Injectable()
export class SessionsService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly tokens: RefreshTokenRepository,
    private readonly policy: SessionPolicy,
    private readonly endings: SessionEndings,
    private readonly activity: ActivityTracker,
    private readonly expiry: SessionExpiryService,
    private readonly clock: Clock,
    private readonly transactions: TransactionRunner,
    private readonly devices: DevicesService,
    private readonly current: CurrentSessionCache,
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
    const session = this.sessions.build(tx, {
      id: randomUUID(),
      userId: input.userId,
      deviceId: input.device.id,
      status: 'active',
      rememberMe: input.rememberMe,
      createdAt: now,
      lastActiveAt: now,
      idleTimeoutSeconds: Math.round(timeouts.idleTimeoutMs / 1000),
      idleExpiresAt,
      idleSweepAt: idleExpiresAt,
      expiresAt,
      ip: input.ip ?? null,
      userAgent: input.userAgent?.slice(0, 512) ?? null,
      refreshGeneration: 0,
      endedAt: null,
      endReason: null,
      endedBy: null,
      authTime: now,
      amr: [...input.amr],
      dpopJkt: input.dpopJkt ?? null,
    });
    const { token: refreshToken, key } = newRefreshToken();
    await this.sessions.insertWithFirstToken(tx, session, key);
    await tx.record('session.created', this.contextOf(session), {
      rememberMe: input.rememberMe,
      idleExpiresAt: idleExpiresAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
    });
    return { session, refreshToken, view: newSessionView(session, input.device) };
  }

  private async enforceLimit(tx: Tx, input: NewSession): Promise<void> {
    const max = this.policy.maxActiveSessions(input);
    const active = await this.sessions.activeDeadlinesForUser(tx, input.userId);
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
    const rows = await this.sessions.revoke(tx, filter, reason, context.actorId ?? null);
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
    await this.endings.settle(tx, ids, 'revoked', { tokensRevoked: true });
    return ids;
  }

  /**
   * Marks an active session freshly authenticated (RFC 9470 step-up): auth_time = now, amr
   * gains the methods just used. Undefined when the session is no longer active.
   */
  markAuthenticated(
    tx: Tx,
    sessionId: string,
    amr: readonly string[],
  ): Promise<SessionEntity | undefined> {
    return this.sessions.markAuthenticated(tx, sessionId, tx.now(), amr);
  }

  /** The session a refresh token belongs to (any generation), for revocation and introspection. */
  async findByRefreshToken(token: string): Promise<RefreshTokenOwner | undefined> {
    return this.tokens.findOwner(refreshTokenKey(token));
  }

  /** The caller's own sessions, active ones first, most recently active first. */
  async listForUser(userId: string, currentSessionId?: string): Promise<SessionView[]> {
    const now = this.clock.now();
    const rows = await this.sessions.listLiveForUser(userId, now);
    return rows.map((row) => this.withPendingActivity(toSessionView(row, currentSessionId)));
  }

  async getView(sessionId: string, currentSessionId?: string): Promise<SessionView> {
    const row = await this.sessions.findRow(sessionId);
    if (!row) throw sessionNotFound();
    return this.withPendingActivity(toSessionView(row, currentSessionId));
  }

  /**
   * The caller's session and user for GET /auth/me: from CurrentSessionCache when this token's
   * row is cached, else from one statement. Undefined when either is gone.
   */
  async currentWithUser(auth: {
    sessionId: string;
    userId: string;
    tokenId: string;
    tokenExpiresAt: Date;
  }): Promise<{ session: SessionView; user: UserViewSource } | undefined> {
    const { sessionId, userId, tokenId } = auth;
    const current =
      this.current.get(sessionId, tokenId) ??
      (await this.current.load(
        { sessionId, userId, tokenId, tokenExpiresAtMs: auth.tokenExpiresAt.getTime() },
        async () => {
          const row = await this.sessions.findRowWithUser(sessionId, userId);
          return row
            ? {
                session: toSessionView(row, row.id),
                user: userFromColumns(row),
                idleTimeoutSeconds: row.idle_timeout_seconds,
              }
            : undefined;
        },
      ));
    if (!current || current.user.id !== userId) return undefined;
    return { session: this.withCurrentActivity(current), user: current.user };
  }

  /**
   * The session as the activity flush will have written it: activity this instance saw and has
   * not written yet moves lastActiveAt, and idleExpiresAt with it (the flush's formula).
   */
  private withCurrentActivity({ session, idleTimeoutSeconds }: CurrentSession): SessionView {
    const pending = this.activity.pendingActivity(session.id)?.getTime();
    if (pending === undefined || pending <= Date.parse(session.lastActiveAt)) return { ...session };
    const idleExpiresMs = Math.min(
      Date.parse(session.expiresAt),
      pending + idleTimeoutSeconds * 1000,
    );
    return {
      ...session,
      lastActiveAt: new Date(pending).toISOString(),
      idleExpiresAt: new Date(
        Math.max(idleExpiresMs, Date.parse(session.idleExpiresAt)),
      ).toISOString(),
    };
  }

  /** Revokes one of the caller's sessions; another user's session id is a 404. */
  async revokeOwn(
    tx: Tx,
    userId: string,
    sessionId: string,
    context: { ip?: string; userAgent?: string },
  ): Promise<void> {
    if (!(await this.sessions.isActiveAndOwned(tx, sessionId, userId))) throw sessionNotFound();
    await this.revoke(tx, { sessionIds: [sessionId] }, 'user', {
      ip: context.ip,
      userAgent: context.userAgent,
    });
  }

  /** The caller revokes one of their sessions (reason `user`). */
  revokeOwnSession(userId: string, sessionId: string, meta: RequestMeta = {}): Promise<void> {
    return this.transactions.run((tx) => this.revokeOwn(tx, userId, sessionId, meta));
  }

  /** The caller revokes every session but the current one (reason `user`). */
  revokeOthers(
    userId: string,
    currentSessionId: string,
    meta: RequestMeta = {},
  ): Promise<string[]> {
    return this.transactions.run((tx) =>
      this.revoke(tx, { userId, exceptSessionId: currentSessionId }, 'user', meta),
    );
  }

  /** Forgets the caller's device and revokes its sessions, together. */
  forgetDevice(userId: string, deviceId: string, meta: RequestMeta = {}): Promise<void> {
    return this.transactions.run(async (tx) => {
      await this.devices.getOwned(userId, deviceId, tx);
      const revoked = await this.revoke(tx, { userId, deviceId }, 'device_forgotten', meta);
      await this.devices.forget(tx, userId, deviceId, revoked.length, meta);
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
