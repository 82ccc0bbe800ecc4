import { Injectable } from '@nestjs/common';
import { AppException } from '../common/app.exception';
import { AppConfig } from '../config/app-config';
import { DevicesService } from '../devices/devices.service';
import { isDrasticUserAgentChange } from '../devices/user-agent';
import type { EventContext } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { hashToken, newOpaqueToken } from '../common/opaque-token';
import { sealWithToken, unsealWithToken } from './refresh-token-crypto';
import { type RefreshTokenRow, RefreshTokenRepository } from './refresh-token.repository';
import type { SessionEntity } from './session.entity';
import { SessionRepository } from './session.repository';
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
}

export interface RotatedSession {
  session: SessionEntity;
  refreshToken: string;
  graceReplay: boolean;
}

type TokenRow = RefreshTokenRow;

type Outcome = { ok: RotatedSession } | { fail: AppException };

const invalid = (): AppException =>
  new AppException('refresh_token_invalid', 'The refresh token is not valid');

/**
 * Refresh-token rotation with reuse detection. The database decides every race: the
 * conditional UPDATE … WHERE status = 'active' lets exactly one of any number of concurrent
 * refreshes with one token win; the others find it rotated and are treated as reuse.
 */
@Injectable()
export class RefreshRotationService {
  constructor(
    private readonly transactions: TransactionRunner,
    private readonly sessions: SessionsService,
    private readonly sessionRows: SessionRepository,
    private readonly tokens: RefreshTokenRepository,
    private readonly devices: DevicesService,
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
    const tokenHash = hashToken(request.refreshToken);
    const ownerSessionId = await this.tokens.sessionIdOf(tx, tokenHash);
    if (!ownerSessionId) return { fail: invalid() };
    // Every path locks the session row first and its tokens after (revocation does too): one
    // lock order, so racing refreshes and reuse revocations queue up instead of deadlocking.
    const session = await this.sessionRows.lockById(tx, ownerSessionId);
    if (!session) return { fail: invalid() };
    const won = await this.tokens.markRotatedIfActive(tx, tokenHash);
    if (!won) return this.handleNotActive(tx, request, tokenHash, session);

    const ended = await this.checkLive(tx, session);
    if (ended) return { fail: ended };
    if (request.csrfCheck && !request.csrfCheck(session.id)) {
      await this.undoRotation(tx, won.id);
      return {
        fail: new AppException('csrf_failed', 'Send the csrfToken from login as X-CSRF-Token'),
      };
    }
    const hijack = await this.checkHijack(tx, session, request);
    if (hijack) {
      // The token stays usable by its owner; the attempt is on record.
      await this.undoRotation(tx, won.id);
      await tx.record('session.hijack_suspected', this.contextOf(session, request), {
        signal: hijack,
      });
      return {
        fail: new AppException(
          'refresh_token_invalid',
          'The refresh token cannot be used from this device',
        ),
      };
    }

    const successor = newOpaqueToken();
    await this.sessions.insertRefreshToken(tx, session.id, won.generation + 1, successor);
    if (this.config.refreshReuseGraceMs > 0) {
      await this.tokens.sealSuccessor(tx, won.id, sealWithToken(request.refreshToken, successor));
    }
    const updated = await this.recordActivity(tx, session, request, won.generation + 1);
    return { ok: { session: updated, refreshToken: successor, graceReplay: false } };
  }

  private async undoRotation(tx: Tx, tokenId: string): Promise<void> {
    await this.tokens.undoRotation(tx, tokenId);
  }

  /** The token exists but is no longer active; the caller holds the session's row lock. */
  private async handleNotActive(
    tx: Tx,
    request: RefreshRequest,
    tokenHash: string,
    session: SessionEntity,
  ): Promise<Outcome> {
    const token = await this.tokens.findByHash(tx, tokenHash);
    if (!token) return { fail: invalid() };
    if (token.status === 'revoked' || session.status !== 'active') {
      return { fail: session.status === 'expired' ? sessionExpired() : sessionRevoked() };
    }
    const replay = await this.graceReplay(tx, session, token, request);
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
    token: TokenRow,
    request: RefreshRequest,
  ): Promise<Outcome | undefined> {
    const graceMs = this.config.refreshReuseGraceMs;
    if (graceMs === 0 || !token.successor_sealed || !token.rotated_at) return undefined;
    if (tx.now().getTime() - new Date(token.rotated_at).getTime() > graceMs) return undefined;
    const successor = unsealWithToken(request.refreshToken, token.successor_sealed);
    if (!successor) return undefined;
    // Only while the successor itself is still the live token of the family.
    if (!(await this.tokens.isActive(tx, hashToken(successor)))) return undefined;
    const ended = await this.checkLive(tx, session);
    if (ended) return { fail: ended };
    return { ok: { session, refreshToken: successor, graceReplay: true } };
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
  private async checkHijack(
    tx: Tx,
    session: SessionEntity,
    request: RefreshRequest,
  ): Promise<'device_mismatch' | 'user_agent_mismatch' | undefined> {
    if (session.deviceId) {
      const device = await this.devices.findById(session.deviceId, tx);
      // Devices recognised only by user agent ("ua:…") have no id to compare. A session bound
      // to an explicit id (mobile device.id, the browser device cookie) requires it: omitting
      // the id must not skip the check.
      if (
        device &&
        !device.clientDeviceId.startsWith('ua:') &&
        device.clientDeviceId !== request.clientDeviceId
      ) {
        return 'device_mismatch';
      }
    }
    return isDrasticUserAgentChange(session.userAgent, request.userAgent)
      ? 'user_agent_mismatch'
      : undefined;
  }

  private async recordActivity(
    tx: Tx,
    session: SessionEntity,
    request: RefreshRequest,
    generation: number,
  ): Promise<SessionEntity> {
    const now = tx.now();
    const idleExpiresAt = new Date(
      Math.min(now.getTime() + session.idleTimeoutSeconds * 1000, session.expiresAt.getTime()),
    );
    const ipChanged = Boolean(request.ip && session.ip && request.ip !== session.ip);
    await this.sessionRows.update(tx, session.id, {
      lastActiveAt: now,
      idleExpiresAt,
      refreshGeneration: generation,
      ip: request.ip ?? session.ip,
      userAgent: request.userAgent?.slice(0, 512) ?? session.userAgent,
    });
    const context = this.contextOf(session, request);
    if (ipChanged && session.ip) {
      await tx.record('session.ip_changed', context, { previousIp: session.ip });
    }
    await tx.record('session.refreshed', context, {
      ipChanged,
      ...(ipChanged && session.ip ? { previousIp: session.ip } : {}),
    });
    return {
      ...session,
      lastActiveAt: now,
      idleExpiresAt,
      refreshGeneration: generation,
      ip: request.ip ?? session.ip,
    };
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
