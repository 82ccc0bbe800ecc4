import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppException } from '../common/app.exception';
import type { AuthContext, RequestMeta } from '../common/auth-context';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { DevicesService, type DeviceHint } from '../devices/devices.service';
import { TransactionRunner } from '../events/transaction-runner.service';
import { hashToken, newOpaqueToken } from '../sessions/refresh-token-crypto';
import { RefreshRotationService } from '../sessions/refresh-rotation.service';
import type { SessionEntity } from '../sessions/session.entity';
import type { SessionView } from '../sessions/session-views';
import { SessionsService } from '../sessions/sessions.service';
import type { UserEntity } from '../users/user.entity';
import { normalizeEmail, UsersService, type UserView } from '../users/users.service';
import { AccessTokenService } from './tokens/access-token.service';
import { CsrfService } from './browser/csrf.service';
import type { ChangePasswordDto, ResetPasswordDto } from './dto/password.dto';
import type { RegisterDto } from './dto/register.dto';
import { LoginAttemptsService } from './throttling/login-attempts.service';
import { PasswordResetNotifier } from './passwords/password-reset-notifier';
import { PasswordResetTokenRepository } from './passwords/password-reset-token.repository';
import { describeError } from '../common/describe-error';

export interface SessionTokens {
  accessToken: string;
  accessExpiresAt: Date;
  refreshToken: string;
  /** When the refresh token stops working without activity (idle or absolute deadline). */
  refreshExpiresAt: Date;
  csrfToken: string;
  expiresIn: number;
  refreshExpiresIn: number;
  session: SessionView;
  user: UserView;
  /** The browser device cookie to set, when login minted one. */
  deviceCookie?: string;
}

export interface LoginInput {
  rememberMe: boolean;
  device: DeviceHint;
  /** Cookie mode: a browser with no device cookie gets a new random device id. */
  mintDeviceCookie: boolean;
}

const invalidCredentials = (): AppException =>
  new AppException('invalid_credentials', 'The email or password is incorrect');

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly rotation: RefreshRotationService,
    private readonly devices: DevicesService,
    private readonly tokens: AccessTokenService,
    private readonly csrf: CsrfService,
    private readonly attempts: LoginAttemptsService,
    private readonly transactions: TransactionRunner,
    private readonly notifier: PasswordResetNotifier,
    private readonly resetTokens: PasswordResetTokenRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async register(dto: RegisterDto, meta: RequestMeta): Promise<UserView> {
    const user = await this.transactions.run((tx) =>
      this.users.create(tx, {
        email: dto.email,
        password: dto.password,
        displayName: dto.displayName,
      }),
    );
    this.logger.log(`user ${user.id} registered from ${meta.ip ?? 'unknown'}`);
    return UsersService.toView(user);
  }

  /**
   * Checks a login's credentials. Unknown email and wrong password give the same answer and
   * cost the same (a dummy hash is verified); lockout applies to both alike.
   */
  async validateCredentials(
    email: string,
    password: string,
    meta: RequestMeta,
  ): Promise<UserEntity> {
    const emailNormalized = normalizeEmail(email);
    const user = await this.users.findByEmail(email);
    try {
      await this.attempts.assertNotLocked(emailNormalized);
    } catch (locked) {
      // Attempts against a locked account are worth an audit record (who keeps trying, from where).
      if (user) await this.recordLockedAttempt(user, meta);
      throw locked;
    }
    const ok = user
      ? await this.users.verifyPassword(user, password)
      : await this.users.verifyDummy(password);
    if (!user || !ok) {
      const outcome = await this.attempts.recordFailure(emailNormalized);
      if (user) await this.recordFailedLogin(user, outcome, meta);
      throw invalidCredentials();
    }
    if (user.locked) {
      throw new AppException('account_locked', 'The account is locked; contact an administrator');
    }
    await this.attempts.clear(emailNormalized);
    await this.users.rehashIfNeeded(user, password);
    return user;
  }

  private async recordLockedAttempt(user: UserEntity, meta: RequestMeta): Promise<void> {
    await this.transactions.run((tx) =>
      tx.record(
        'auth.login.failed',
        { userId: user.id, ip: meta.ip, userAgent: meta.userAgent },
        { reason: 'account_locked' },
      ),
    );
  }

  private async recordFailedLogin(
    user: UserEntity,
    outcome: { failures: number; lockedUntil?: Date },
    meta: RequestMeta,
  ): Promise<void> {
    await this.transactions.run(async (tx) => {
      const context = { userId: user.id, ip: meta.ip, userAgent: meta.userAgent };
      await tx.record('auth.login.failed', context, {
        reason: 'invalid_credentials',
        attempts: outcome.failures,
      });
      if (outcome.lockedUntil) {
        await tx.record('user.locked', context, {
          reason: 'failed_logins',
          until: outcome.lockedUntil.toISOString(),
        });
      }
    });
  }

  async login(user: UserEntity, input: LoginInput, meta: RequestMeta): Promise<SessionTokens> {
    const deviceCookie = input.mintDeviceCookie
      ? `web:${randomBytes(18).toString('base64url')}`
      : undefined;
    const hint = { ...input.device, clientDeviceId: input.device.clientDeviceId ?? deviceCookie };
    const issued = await this.transactions.run(async (tx) => {
      const locked = await this.users.lockForUpdate(tx, user.id);
      const { device, isNew } = await this.devices.resolveForLogin(
        tx,
        user.id,
        hint,
        meta.userAgent,
        meta.ip,
      );
      const created = await this.sessions.create(tx, {
        userId: user.id,
        roles: locked.roles,
        device,
        rememberMe: input.rememberMe,
        amr: ['pwd'],
        ip: meta.ip,
        userAgent: meta.userAgent,
      });
      await tx.record(
        'auth.login.succeeded',
        {
          userId: user.id,
          sessionId: created.session.id,
          deviceId: device.id,
          ip: meta.ip,
          userAgent: meta.userAgent,
        },
        { rememberMe: input.rememberMe, newDevice: isNew },
      );
      return { ...created, user: locked };
    });
    const tokens = await this.tokensFor(issued.session, issued.refreshToken, issued.user);
    return { ...tokens, deviceCookie };
  }

  /** Rotates the refresh token. Cookie mode passes the presented X-CSRF-Token to be checked. */
  async refresh(
    refreshToken: string,
    meta: RequestMeta & { clientDeviceId?: string; cookieCsrfToken?: string | null },
  ): Promise<SessionTokens> {
    const { cookieCsrfToken, ...context } = meta;
    const csrfCheck =
      cookieCsrfToken === undefined
        ? undefined
        : (sessionId: string) => this.csrf.verify(sessionId, cookieCsrfToken ?? undefined);
    const rotated = await this.rotation.rotate({ refreshToken, ...context, csrfCheck });
    const user = await this.users.findById(rotated.session.userId);
    if (!user) throw new AppException('refresh_token_invalid');
    return this.tokensFor(rotated.session, rotated.refreshToken, user);
  }

  private async tokensFor(
    session: SessionEntity,
    refreshToken: string,
    user: UserEntity,
  ): Promise<Omit<SessionTokens, 'deviceCookie'>> {
    const access = this.tokens.issue({
      userId: user.id,
      sessionId: session.id,
      roles: user.roles,
      notAfter: [session.expiresAt, session.idleExpiresAt],
      authTime: session.authTime,
      amr: session.amr,
    });
    const refreshExpiresAt = new Date(
      Math.min(session.expiresAt.getTime(), session.idleExpiresAt.getTime()),
    );
    const nowMs = this.clock.nowMs();
    return {
      accessToken: access.token,
      accessExpiresAt: access.expiresAt,
      refreshToken,
      refreshExpiresAt,
      csrfToken: this.csrf.tokenFor(session.id),
      expiresIn: access.expiresIn,
      refreshExpiresIn: Math.max(0, Math.floor((refreshExpiresAt.getTime() - nowMs) / 1000)),
      session: await this.sessions.getView(session.id, session.id),
      user: UsersService.toView(user),
    };
  }

  async logout(auth: AuthContext, meta: RequestMeta): Promise<void> {
    await this.transactions.run((tx) =>
      this.sessions.revoke(tx, { sessionIds: [auth.sessionId] }, 'logout', meta),
    );
  }

  async logoutAll(auth: AuthContext, meta: RequestMeta): Promise<void> {
    await this.transactions.run((tx) =>
      this.sessions.revoke(tx, { userId: auth.userId }, 'logout_all', meta),
    );
  }

  async me(auth: AuthContext): Promise<{ user: UserView; session: SessionView }> {
    const user = await this.users.findById(auth.userId);
    if (!user) throw new AppException('unauthenticated');
    return {
      user: UsersService.toView(user),
      session: await this.sessions.getView(auth.sessionId, auth.sessionId),
    };
  }

  /** Changes the password and ends every other session; the current one continues. */
  async changePassword(
    auth: AuthContext,
    dto: ChangePasswordDto,
    meta: RequestMeta,
  ): Promise<void> {
    const user = await this.users.findById(auth.userId);
    if (!user) throw new AppException('unauthenticated');
    if (!(await this.users.verifyPassword(user, dto.currentPassword))) {
      throw new AppException('validation_failed', 'The current password is incorrect', {
        errors: [{ field: 'currentPassword', messages: ['is incorrect'] }],
      });
    }
    await this.transactions.run(async (tx) => {
      await this.users.setPassword(tx, user, dto.newPassword);
      await this.sessions.revoke(
        tx,
        { userId: user.id, exceptSessionId: auth.sessionId },
        'password_change',
        meta,
      );
      await tx.record(
        'password.changed',
        { userId: user.id, sessionId: auth.sessionId, ...meta },
        {},
      );
    });
  }

  /** Always answers the same (202); a message goes out only when the account exists. */
  async forgotPassword(email: string, meta: RequestMeta): Promise<void> {
    const user = await this.users.findByEmail(email);
    if (!user) return;
    const token = newOpaqueToken();
    const expiresAt = new Date(this.clock.nowMs() + this.config.passwordResetTtlMs);
    await this.transactions.run(async (tx) => {
      // A new request voids earlier unused tokens.
      await this.resetTokens.voidUnused(tx, user.id);
      await this.resetTokens.insert(tx, user.id, hashToken(token), expiresAt);
      await tx.record('password.reset_requested', { userId: user.id, ...meta }, {});
    });
    // Not awaited: a slow channel must not reveal through timing that the account exists.
    this.notifier
      .send({ userId: user.id, email: user.email, token, expiresAt })
      .catch((error: unknown) => {
        this.logger.error(`password reset delivery failed: ${describeError(error)}`);
      });
  }

  /** Sets a new password with a reset token (single use), ends every session; never signs in. */
  async resetPassword(dto: ResetPasswordDto, meta: RequestMeta): Promise<void> {
    const invalidToken = (): AppException =>
      new AppException('validation_failed', 'The reset token is invalid or has expired', {
        errors: [{ field: 'token', messages: ['is invalid or has expired'] }],
      });
    const emailNormalized = await this.transactions.run(async (tx) => {
      const claimedBy = await this.resetTokens.claim(tx, hashToken(dto.token));
      if (!claimedBy) throw invalidToken();
      const user = await this.users.lockForUpdate(tx, claimedBy);
      await this.users.setPassword(tx, user, dto.newPassword);
      await this.sessions.revoke(tx, { userId: user.id }, 'password_reset', meta);
      await tx.record('password.reset', { userId: user.id, ...meta }, {});
      return user.emailNormalized;
    });
    // The owner proved control of the mailbox: lift any lockout.
    await this.attempts.clear(emailNormalized);
  }
}
