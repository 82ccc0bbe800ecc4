import { Injectable } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { AppConfig } from '../config/app-config';
import { isDrasticUserAgentChange } from '../devices/user-agent';
import type { EventContext } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { sealWithToken, unsealWithToken } from './refresh-token-crypto';
import { newRefreshToken, refreshTokenKey } from './refresh-token-key';
import {
  type RefreshTokenRow,
  RefreshTokenRepository,
  type RotationRow,
} from './refresh-token.repository';
import type { SessionEntity } from './session.entity';
import { newSessionView, type SessionView } from './session-views';
import { userFromColumns } from '../users/user-view-columns';
import type { UserViewSource } from '../users/users.service';
import { SessionExpiryService } from './session-expiry.service';
import { SessionsService } from './sessions.service';
import { sessionExpired, sessionRevoked } from './sessions.exception';

export interface RefreshRequest {
  refreshToken: string;
  ip?: string;
  userAgent?: string;
  /** The device id the client claims (mobile apps send theirs; browsers their device cookie). */
  clientDeviceId?: string;
  /** Cookie mode: the CSRF check for the token's session, made before anything rotates. */
  csrfCheck?: (sessionId: string) => boolean;
  /** DPoP (RFC 9449): the key thumbprint of a verified proof sent with the refresh. */
  dpopJkt?: string;
}

export interface RotatedSession {
  session: SessionEntity;
  refreshToken: string;
  graceReplay: boolean;
  /** The session's user (roles for the access token, the response's user). */
  user: UserViewSource;
  /** The session as the response shows it, made from the rotation's row (no read back). */
  view: SessionView;
}

type Outcome = { ok: RotatedSession } | { fail: AppException };

const invalid = (): AppException =>
  new AppException('refresh_token_invalid', 'The refresh token is not valid');

/**
 * A session bound to a key (RFC 9449) refreshes only with a proof from that key. Checked before
 * anything rotates, so a stolen bound token is useless and its owner keeps the session.
 */
function dpopRefusal(session: SessionEntity, request: RefreshRequest): AppException | undefined {
  if (!session.dpopJkt || session.dpopJkt === request.dpopJkt) return undefined;
  return new AppException(
    'invalid_dpop_proof',
    request.dpopJkt
      ? 'The DPoP proof is not signed with the key this session is bound to'
      : 'This refresh token is DPoP-bound: send a DPoP proof',
  );
}

/** The session entity part of a rotation row. */
function sessionOf(row: RotationRow): SessionEntity {
  return {
    id: row.id,
    userId: row.userId,
    deviceId: row.deviceId,
    status: row.status,
    rememberMe: row.rememberMe,
    createdAt: new Date(row.createdAt),
    lastActiveAt: new Date(row.lastActiveAt),
    idleTimeoutSeconds: row.idleTimeoutSeconds,
    idleExpiresAt: new Date(row.idleExpiresAt),
    idleSweepAt: new Date(row.idleSweepAt),
    expiresAt: new Date(row.expiresAt),
    ip: row.ip,
    userAgent: row.userAgent,
    refreshGeneration: row.refreshGeneration,
    endedAt: row.endedAt ? new Date(row.endedAt) : null,
    endReason: row.endReason,
    endedBy: row.endedBy,
    authTime: new Date(row.authTime),
    amr: row.amr,
    dpopJkt: row.dpopJkt ?? null,
  };
}

function deviceOf(row: RotationRow): Parameters<typeof newSessionView>[1] {
  if (!row.deviceId) return null;
  return {
    id: row.deviceId,
    name: row.device_name ?? '',
    platform: row.device_platform,
    os: row.device_os,
    browser: row.device_browser,
    trusted: Boolean(row.device_trusted),
  };
}

function tokenOf(row: RotationRow): RefreshTokenRow {
  return {
    id: row.token_id,
    session_id: row.id,
    generation: row.token_generation,
    status: row.token_status,
    rotated_at: row.token_rotated_at,
    successor_sealed: row.token_successor_sealed,
  };
}

/**
 * Refresh-token rotation with reuse detection. One statement locks the session and reads all a
 * refresh decides on (token, session, device, user); every check runs before anything is
 * written; then one statement rotates. The database decides every race: the rotation's
 * conditional UPDATE … WHERE status = 'active' lets exactly one of any number of concurrent
 * refreshes with one token win; the others find it rotated and are treated as reuse.
 */
@Injectable()
export class RefreshRotationService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly sessions: SessionsService,
    private readonly tokens: RefreshTokenRepository,
    private readonly expiry: SessionExpiryService,
    private readonly config: AppConfig,
  ) {}

  async rotate(request: RefreshRequest): Promise<RotatedSession> {
    // Failures that changed state (reuse revokes, expiry) must commit before they are reported.
    const outcome = await this.transactions.run((tx) => this.rotateInTx(tx, request));
    if ('fail' in outcome) throw outcome.fail;
    return outcome.ok;
  }

  private async rotateInTx(tx: Tx, request: RefreshRequest): Promise<Outcome> {
    const key = refreshTokenKey(request.refreshToken);
    // Every path locks the session row first and its tokens after (revocation does too): one
    // lock order, so racing refreshes and reuse revocations queue up instead of deadlocking.
    const row = await this.tokens.lockForRotation(tx, key);
    if (!row) return { fail: invalid() };
    const session = sessionOf(row);
    if (row.token_status !== 'active') {
      return this.handleNotActive(tx, request, tokenOf(row), row, session);
    }
    const refused = await this.refusal(tx, session, row, request);
    if (refused) return { fail: refused };

    const now = tx.now();
    const successor = newRefreshToken();
    const idleExpiresAt = new Date(
      Math.min(now.getTime() + session.idleTimeoutSeconds * 1000, session.expiresAt.getTime()),
    );
    const ip = request.ip ?? session.ip;
    const userAgent = request.userAgent?.slice(0, 512) ?? session.userAgent;
    const generation = await this.tokens.rotate(tx, {
      tokenId: row.token_id,
      at: now,
      successorSealed:
        this.config.refreshReuseGraceMs > 0
          ? sealWithToken(request.refreshToken, successor.token)
          : null,
      successor: successor.key,
      idleExpiresAt,
      ip,
      userAgent,
      // A refresh with a proof binds a session that was not bound yet (never rebinds).
      dpopJkt: session.dpopJkt ?? request.dpopJkt ?? null,
    });
    if (generation === undefined) {
      // Rotated by a racing refresh while this one waited for the session lock.
      const current = await this.tokens.findByKey(tx, key);
      if (!current) return { fail: invalid() };
      return this.handleNotActive(tx, request, current, row, session);
    }
    await this.recordRefreshed(tx, session, request);
    const updated: SessionEntity = {
      ...session,
      lastActiveAt: now,
      idleExpiresAt,
      refreshGeneration: generation,
      ip,
      userAgent,
      dpopJkt: session.dpopJkt ?? request.dpopJkt ?? null,
    };
    return { ok: this.rotated(updated, row, successor.token, false) };
  }

  private rotated(
    session: SessionEntity,
    row: RotationRow,
    refreshToken: string,
    graceReplay: boolean,
  ): RotatedSession {
    return {
      session,
      refreshToken,
      graceReplay,
      user: userFromColumns(row),
      view: newSessionView(session, deviceOf(row)),
    };
  }

  /**
   * Why this active token must not rotate now, if anything: the session ended (or is due to
   * end: expired here), the CSRF check failed, a hijack is suspected (recorded), or the user is
   * locked. Nothing has been rotated at this point, so the token stays usable by its owner.
   */
  private async refusal(
    tx: Tx,
    session: SessionEntity,
    row: RotationRow,
    request: RefreshRequest,
  ): Promise<AppException | undefined> {
    const ended = await this.checkLive(tx, session);
    if (ended) return ended;
    const unbound = dpopRefusal(session, request);
    if (unbound) return unbound;
    if (request.csrfCheck && !request.csrfCheck(session.id)) {
      return new AppException('csrf_failed', 'Send the csrfToken from login as X-CSRF-Token');
    }
    const hijack = this.checkHijack(session, row.device_client_id, request);
    if (hijack) {
      await tx.record('session.hijack_suspected', this.contextOf(session, request), {
        signal: hijack,
      });
      return new AppException(
        'refresh_token_invalid',
        'The refresh token cannot be used from this device',
      );
    }
    // A locked user's session refreshes no more: 401 like any dead refresh token (the client
    // goes back to login, which explains with 423). Locking also revokes the sessions; this
    // covers a refresh racing the lock.
    if (row.user_locked) return invalid();
    return undefined;
  }

  /** The token exists but is no longer active; the caller holds the session's row lock. */
  private async handleNotActive(
    tx: Tx,
    request: RefreshRequest,
    token: RefreshTokenRow,
    row: RotationRow,
    session: SessionEntity,
  ): Promise<Outcome> {
    if (token.status === 'revoked' || session.status !== 'active') {
      return { fail: session.status === 'expired' ? sessionExpired() : sessionRevoked() };
    }
    const replay = await this.graceReplay(tx, session, row, token, request);
    if (replay) return replay;
    // A rotated token presented again: someone holds a copy. End the whole session.
    const context = this.contextOf(session, request);
    await tx.record('session.reuse_detected', context, { tokenGeneration: token.generation });
    await this.sessions.revoke(tx, { sessionIds: [session.id] }, 'reuse_detected', request);
    return {
      fail: new AppException(
        'refresh_token_reused',
        'The refresh token was already used; the session has been revoked',
      ),
    };
  }

  /** Within REFRESH_REUSE_GRACE, the just-rotated token gets the same successor again. */
  private async graceReplay(
    tx: Tx,
    session: SessionEntity,
    row: RotationRow,
    token: RefreshTokenRow,
    request: RefreshRequest,
  ): Promise<Outcome | undefined> {
    const graceMs = this.config.refreshReuseGraceMs;
    if (graceMs === 0 || !token.successor_sealed || !token.rotated_at) return undefined;
    if (tx.now().getTime() - new Date(token.rotated_at).getTime() > graceMs) return undefined;
    const successor = unsealWithToken(request.refreshToken, token.successor_sealed);
    if (!successor) return undefined;
    // Only while the successor itself is still the live token of the family.
    if (!(await this.tokens.isActive(tx, refreshTokenKey(successor)))) return undefined;
    const ended = await this.checkLive(tx, session);
    if (ended) return { fail: ended };
    const unbound = dpopRefusal(session, request);
    if (unbound) return { fail: unbound };
    if (row.user_locked) return { fail: invalid() };
    return { ok: this.rotated(session, row, successor, true) };
  }

  private async checkLive(tx: Tx, session: SessionEntity): Promise<AppException | undefined> {
    if (session.status === 'revoked') return sessionRevoked();
    if (session.status === 'expired') return sessionExpired();
    const reason = this.expiry.dueReason(
      {
        id: session.id,
        user_id: session.userId,
        device_id: session.deviceId,
        expires_at: session.expiresAt,
        idle_expires_at: session.idleExpiresAt,
        idle_timeout_seconds: session.idleTimeoutSeconds,
      },
      tx.now(),
    );
    if (!reason) return undefined;
    await this.expiry.markExpired(tx, [session.id], reason);
    return sessionExpired();
  }

  /**
   * A refresh from another device, or from plainly different software, is refused (the token
   * has likely been copied) and reported; the legitimate client keeps its session.
   */
  private checkHijack(
    session: SessionEntity,
    deviceClientId: string | null,
    request: RefreshRequest,
  ): 'device_mismatch' | 'user_agent_mismatch' | undefined {
    // Devices recognised only by user agent ("ua:…") have no id to compare. A session bound
    // to an explicit id (mobile device.id, the browser device cookie) requires it: omitting
    // the id must not skip the check.
    if (
      deviceClientId &&
      !deviceClientId.startsWith('ua:') &&
      deviceClientId !== request.clientDeviceId
    ) {
      return 'device_mismatch';
    }
    return isDrasticUserAgentChange(session.userAgent, request.userAgent)
      ? 'user_agent_mismatch'
      : undefined;
  }

  private async recordRefreshed(
    tx: Tx,
    session: SessionEntity,
    request: RefreshRequest,
  ): Promise<void> {
    const ipChanged = Boolean(request.ip && session.ip && request.ip !== session.ip);
    const context = this.contextOf(session, request);
    if (ipChanged && session.ip) {
      await tx.record('session.ip_changed', context, { previousIp: session.ip });
    }
    await tx.record('session.refreshed', context, {
      ipChanged,
      ...(ipChanged && session.ip ? { previousIp: session.ip } : {}),
    });
  }

  private contextOf(session: SessionEntity, request: RefreshRequest): EventContext {
    return {
      userId: session.userId,
      sessionId: session.id,
      deviceId: session.deviceId ?? undefined,
      ip: request.ip,
      userAgent: request.userAgent,
    };
  }
}
