import { Injectable, Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppException } from '../common/app.exception';
import type { AuthContext, RequestMeta } from '../common/auth-context';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { DevicesService, type DeviceHint } from '../devices/devices.service';
import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { AmrValue, EventDataMap } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import type { MfaTransport } from '../mfa/mfa-login-token.entity';
import { type MfaLoginContext, MfaTokenService } from '../mfa/mfa-token.service';
import { type CodeMethod, combinedAmr, MfaService } from '../mfa/mfa.service';
import type { PasskeyExpectation } from '../mfa/passkeys.service';
import { hashToken, newOpaqueToken } from '../common/opaque-token';
import { RefreshRotationService } from '../sessions/refresh-rotation.service';
import type { SessionEntity } from '../sessions/session.entity';
import type { SessionView } from '../sessions/session-views';
import { SessionsService } from '../sessions/sessions.service';
import type { UserEntity } from '../users/user.entity';
import {
  normalizeEmail,
  UsersService,
  type UserView,
  type UserViewSource,
} from '../users/users.service';
import { AccessTokenService } from './tokens/access-token.service';
import { CsrfService } from './browser/csrf.service';
import type { ChangePasswordDto, ResetPasswordDto } from './dto/password.dto';
import type { RegisterDto } from './dto/register.dto';
import {
  type LoginProtectionKey,
  LoginProtectionService,
} from './throttling/login-protection.service';
import { PasswordResetNotifier } from './passwords/password-reset-notifier';
import { PasswordResetTokenRepository } from './passwords/password-reset-token.repository';
import { describeError } from '../common/describe-error';

export interface SessionTokens {
  accessToken: string;
  /** `DPoP` when the session is bound to a client key (RFC 9449), else `Bearer`. */
  tokenType: 'Bearer' | 'DPoP';
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
  /** The transport the login asked for; the second step (mfaToken) answers in the same one. */
  transport: MfaTransport;
  /** DPoP (RFC 9449): the key thumbprint of the login's verified proof; binds the session. */
  dpopJkt?: string;
}

/** A user id no account has (the nil UUID), for statements run only to cost the same. */
const NO_ACCOUNT = '00000000-0000-0000-0000-000000000000';
/** A minted session and the transport to answer in. */
export interface SignedIn {
  tokens: SessionTokens;
  cookieMode: boolean;
}

/** A step-up's new access token (the refresh token and session are unchanged). */
export interface SteppedUp {
  accessToken: string;
  tokenType: 'Bearer' | 'DPoP';
  accessExpiresAt: Date;
  expiresIn: number;
}

/** `POST /auth/reauth`: the password, or a TOTP or recovery code. */
export type ReauthProof = { password: string } | { method: CodeMethod; code: string };

interface StartedSession {
  session: SessionEntity;
  refreshToken: string;
  view: SessionView;
  user: UserEntity;
  deviceCookie?: string;
}

/** After this many wrong second factors, the mfaToken is spent and the login starts over. */
export const MFA_TOKEN_MAX_FAILURES = 5;

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
    private readonly protection: LoginProtectionService,
    private readonly transactions: TransactionRunner,
    private readonly notifier: PasswordResetNotifier,
    private readonly resetTokens: PasswordResetTokenRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly mfa: MfaService,
    private readonly mfaTokens: MfaTokenService,
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
   * cost the same: the same queries, a dummy hash verified, a failure counted and recorded.
   * Failed-login protection is checked before any hashing, so a delayed attempt costs no argon2
   * work and a right password during the delay still gets 429 (no oracle). An administrator's
   * lock answers 423 for a right and a wrong password alike.
   */
  async validateCredentials(
    email: string,
    password: string,
    meta: RequestMeta,
    clientDeviceId?: string,
  ): Promise<UserEntity> {
    const emailNormalized = normalizeEmail(email);
    // Three independent reads at once (none needs another's answer): the account, whether the
    // client's device is known to it, and every counter the attempt may be judged by.
    const [user, known, counters] = await Promise.all([
      this.users.findByEmail(email),
      clientDeviceId ? this.devices.isKnownDeviceOfEmail(emailNormalized, clientDeviceId) : false,
      this.protection.snapshot(this.protection.keyFor(emailNormalized, meta.ip, clientDeviceId)),
    ]);
    const key = this.protection.keyFor(
      emailNormalized,
      meta.ip,
      known ? clientDeviceId : undefined,
    );
    this.protection.assertAllowedBy(key, counters);
    const ok = user
      ? await this.users.verifyPassword(user, password)
      : await this.users.verifyDummy(password);
    // A locked account's attempts count and are recorded whatever the password: identical work.
    if (!user || !ok || user.locked) await this.recordFailedLogin(key, user, meta);
    if (user?.locked) {
      throw new AppException('account_locked', 'The account is locked; contact an administrator');
    }
    if (!user || !ok) throw invalidCredentials();
    await this.protection.recordSuccess(key, counters);
    await this.users.rehashIfNeeded(user, password);
    return user;
  }

  /** Counts the failure and records it in one transaction, for unknown emails too (keyed hash). */
  private async recordFailedLogin(
    key: LoginProtectionKey,
    user: UserEntity | null,
    meta: RequestMeta,
  ): Promise<number> {
    return this.transactions.run(async (tx) => {
      const attempts = await this.protection.recordFailure(key, tx);
      const context = { userId: user?.id, ip: meta.ip, userAgent: meta.userAgent };
      await tx.record(
        'auth.login.failed',
        context,
        user
          ? { reason: user.locked ? 'account_locked' : 'invalid_credentials', attempts }
          : {
              reason: 'invalid_credentials',
              attempts,
              emailMac: this.protection.emailMac(key.account),
            },
      );
      return attempts;
    });
  }

  /**
   * The password step. With a second factor, no session exists yet: 401 mfa_required carries an
   * mfaToken bound to this login's transport, remember-me and device, for POST /auth/mfa/verify.
   */
  async login(user: UserEntity, input: LoginInput, meta: RequestMeta): Promise<SessionTokens> {
    await this.requireNoSecondFactor(user, input, meta);
    return this.finish(
      await this.transactions.run((tx) => this.startSession(tx, user.id, input, ['pwd'], meta)),
    );
  }

  /** Tokens for a committed session. */
  private finish(started: StartedSession): SessionTokens {
    const tokens = this.tokensFor(
      started.session,
      started.refreshToken,
      started.user,
      started.view,
    );
    return { ...tokens, deviceCookie: started.deviceCookie };
  }

  private async requireNoSecondFactor(
    user: UserEntity,
    input: LoginInput,
    meta: RequestMeta,
  ): Promise<void> {
    const methods = await this.mfa.methods(user.id);
    if (!methods.includes('totp') && !methods.includes('webauthn')) return;
    const issued = await this.transactions.run((tx) =>
      this.mfaTokens.issue(tx, {
        userId: user.id,
        transport: input.transport,
        rememberMe: input.rememberMe,
        device: {
          id: input.device.clientDeviceId,
          name: input.device.name,
          platform: input.device.platform,
        },
        ip: meta.ip,
        userAgent: meta.userAgent,
        firstFactorAmr: ['pwd'],
      }),
    );
    throw new AppException(
      'mfa_required',
      'Complete the sign-in with a second factor (POST /auth/mfa/verify or /auth/passkeys/verify)',
      { members: { mfaToken: issued.mfaToken, methods, expiresIn: issued.expiresIn } },
    );
  }

  /** Creates the session (the caller's transaction); the user must not be locked. */
  private async startSession(
    tx: Tx,
    userId: string,
    input: LoginInput,
    amr: readonly AmrValue[],
    meta: RequestMeta,
  ): Promise<StartedSession> {
    const deviceCookie = input.mintDeviceCookie
      ? `web:${randomBytes(18).toString('base64url')}`
      : undefined;
    const hint = { ...input.device, clientDeviceId: input.device.clientDeviceId ?? deviceCookie };
    const locked = await this.users.lockForUpdate(tx, userId);
    if (locked.locked) {
      throw new AppException('account_locked', 'The account is locked; contact an administrator');
    }
    const { device, isNew } = await this.devices.resolveForLogin(
      tx,
      userId,
      hint,
      meta.userAgent,
      meta.ip,
    );
    const created = await this.sessions.create(tx, {
      userId,
      roles: locked.roles,
      device,
      rememberMe: input.rememberMe,
      amr,
      ip: meta.ip,
      userAgent: meta.userAgent,
      dpopJkt: input.dpopJkt,
    });
    await tx.record(
      'auth.login.succeeded',
      {
        userId,
        sessionId: created.session.id,
        deviceId: device.id,
        ip: meta.ip,
        userAgent: meta.userAgent,
      },
      { rememberMe: input.rememberMe, newDevice: isNew },
    );
    return { ...created, user: locked, deviceCookie };
  }

  /**
   * `POST /auth/mfa/verify`: the second step. The code is checked before the mfaToken is spent
   * (a typo does not cost the login); the token is spent in the transaction that mints the
   * session. A wrong code counts like a failed login; after MFA_TOKEN_MAX_FAILURES the token
   * is spent too.
   */
  async verifyMfa(
    input: { mfaToken: string; method: CodeMethod; code: string; dpopJkt?: string },
    meta: RequestMeta,
  ): Promise<SignedIn> {
    const pending = await this.mfaTokens.peek(input.mfaToken);
    const amr = await this.countingFailures(input.mfaToken, pending, meta, () =>
      this.mfa.verifySecondFactor(pending.userId, input.method, input.code, meta),
    );
    return this.completeSecondStep(input.mfaToken, pending, amr, meta, input.dpopJkt);
  }

  /**
   * `POST /auth/passkeys/options`: with an mfaToken, the user's own passkeys (second factor);
   * signed in, a step-up of the current session; otherwise discoverable credentials.
   */
  async passkeyOptions(
    mfaToken: string | undefined,
    auth: AuthContext | undefined,
  ): Promise<Awaited<ReturnType<MfaService['passkeyAuthenticationOptions']>>> {
    return this.mfa.passkeyAuthenticationOptions(await this.passkeyExpectation(mfaToken, auth));
  }

  /**
   * `POST /auth/passkeys/verify`. Three uses, by what the request carries: an mfaToken (second
   * factor after the password: amr pwd + hwk/swk + mfa), an access token (step-up of that
   * session) or nothing (passwordless sign-in with a discoverable credential). A passkey alone
   * counts as multi-factor (`mfa`): user verification is required, so the authenticator checked
   * a PIN or biometric (something you know or are) on top of holding the key (something you have).
   */
  async verifyPasskey(
    input: {
      response: AuthenticationResponseJSON;
      mfaToken?: string;
      login: LoginInput;
    },
    auth: AuthContext | undefined,
    meta: RequestMeta,
  ): Promise<{ signedIn: SignedIn } | { steppedUp: SteppedUp }> {
    const expectation = await this.passkeyExpectation(input.mfaToken, auth);
    if (input.mfaToken) {
      const pending = await this.mfaTokens.peek(input.mfaToken);
      const verified = await this.countingFailures(input.mfaToken, pending, meta, () =>
        this.mfa.verifyPasskey(input.response, expectation, meta),
      );
      return {
        signedIn: await this.completeSecondStep(
          input.mfaToken,
          pending,
          verified.amr,
          meta,
          input.login.dpopJkt,
        ),
      };
    }
    const verified = await this.mfa.verifyPasskey(input.response, expectation, meta);
    const amr: AmrValue[] = [...verified.amr, 'mfa'];
    if (auth) return { steppedUp: await this.stepUp(auth, 'webauthn', amr, meta) };
    const started = await this.transactions.run((tx) =>
      this.startSession(tx, verified.userId, input.login, amr, meta),
    );
    const tokens = this.finish(started);
    return { signedIn: { tokens, cookieMode: input.login.transport === 'cookie' } };
  }

  /**
   * `POST /auth/reauth` (RFC 9470 step-up): proves the user again with the password or a code;
   * the session becomes freshly authenticated and a new access token carries it. A wrong
   * password or code counts like a failed login.
   */
  async reauth(auth: AuthContext, proof: ReauthProof, meta: RequestMeta): Promise<SteppedUp> {
    const user = await this.users.findById(auth.userId);
    if (!user) throw new AppException('unauthenticated');
    await this.protection.assertAllowed(this.protection.keyFor(user.emailNormalized, meta.ip));
    if ('password' in proof) {
      if (!(await this.users.verifyPassword(user, proof.password))) {
        await this.countFailedLogin(user, meta);
        throw invalidCredentials();
      }
      return this.stepUp(auth, 'password', ['pwd'], meta);
    }
    let added: AmrValue[];
    try {
      added = await this.mfa.verifySecondFactor(user.id, proof.method, proof.code, meta);
    } catch (error) {
      if (error instanceof AppException && error.code === 'mfa_invalid') {
        await this.countFailedLogin(user, meta);
      }
      throw error;
    }
    return this.stepUp(auth, proof.method, combinedAmr(auth.amr as AmrValue[], added), meta);
  }

  private async stepUp(
    auth: AuthContext,
    method: EventDataMap['auth.step_up']['method'],
    amr: AmrValue[],
    meta: RequestMeta,
  ): Promise<SteppedUp> {
    const session = await this.transactions.run(async (tx) => {
      const marked = await this.sessions.markAuthenticated(tx, auth.sessionId, amr);
      if (!marked) throw new AppException('session_revoked');
      await this.mfa.recordStepUp(
        tx,
        { userId: auth.userId, sessionId: auth.sessionId, ...meta },
        method,
        marked.amr as AmrValue[],
      );
      return marked;
    });
    const user = await this.users.findById(auth.userId);
    if (!user) throw new AppException('unauthenticated');
    const access = this.issueAccess(session, user);
    return {
      accessToken: access.token,
      tokenType: session.dpopJkt ? 'DPoP' : 'Bearer',
      accessExpiresAt: access.expiresAt,
      expiresIn: access.expiresIn,
    };
  }

  private async passkeyExpectation(
    mfaToken: string | undefined,
    auth: AuthContext | undefined,
  ): Promise<PasskeyExpectation> {
    if (mfaToken) {
      const pending = await this.mfaTokens.peek(mfaToken);
      return { purpose: 'authentication', userId: pending.userId };
    }
    if (auth) return { purpose: 'step_up', userId: auth.userId };
    return { purpose: 'authentication' };
  }

  /** Runs a second-factor check; a refusal counts like a failed login (and may burn the token). */
  private async countingFailures<T>(
    mfaToken: string,
    pending: MfaLoginContext,
    meta: RequestMeta,
    check: () => Promise<T>,
  ): Promise<T> {
    const user = await this.users.findById(pending.userId);
    if (!user) throw new AppException('mfa_token_invalid');
    await this.protection.assertAllowed(this.protection.keyFor(user.emailNormalized, meta.ip));
    try {
      return await check();
    } catch (error) {
      if (!(error instanceof AppException) || error.code !== 'mfa_invalid') throw error;
      const outcome = await this.countFailedLogin(user, meta);
      if (outcome.failures >= MFA_TOKEN_MAX_FAILURES) {
        // Burnt: guessing on goes through the password (and its lockout) again.
        await this.mfaTokens.consume(mfaToken).catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * A wrong second factor or step-up password counts like a failed login. The one place that
   * does so outside validateCredentials (the throttling redesign re-points it).
   */
  private async countFailedLogin(
    user: UserEntity,
    meta: RequestMeta,
  ): Promise<{ failures: number }> {
    const key = this.protection.keyFor(user.emailNormalized, meta.ip);
    return { failures: await this.recordFailedLogin(key, user, meta) };
  }

  /** Spends the mfaToken and mints the session of the login it stood for, in one transaction. */
  private async completeSecondStep(
    mfaToken: string,
    pending: MfaLoginContext,
    secondFactorAmr: readonly AmrValue[],
    meta: RequestMeta,
    /** The second step's DPoP proof binds the session (the password step's is not carried). */
    dpopJkt?: string,
  ): Promise<SignedIn> {
    const cookieMode = pending.transport === 'cookie';
    const login: LoginInput = {
      rememberMe: pending.rememberMe,
      device: {
        clientDeviceId: pending.device?.id,
        name: pending.device?.name,
        platform: pending.device?.platform,
      },
      mintDeviceCookie: cookieMode && !pending.device?.id,
      transport: pending.transport,
      dpopJkt,
    };
    const amr = combinedAmr(pending.firstFactorAmr, secondFactorAmr);
    const started = await this.transactions.run(async (tx) => {
      await this.mfaTokens.consume(mfaToken, tx);
      return this.startSession(tx, pending.userId, login, amr, meta);
    });
    // Both factors passed: the failures the second step counted are forgiven, like a login's.
    await this.protection.recordSuccess(
      this.protection.keyFor(started.user.emailNormalized, meta.ip),
    );
    return { tokens: this.finish(started), cookieMode };
  }

  /** Rotates the refresh token. Cookie mode passes the presented X-CSRF-Token to be checked. */
  async refresh(
    refreshToken: string,
    meta: RequestMeta & {
      clientDeviceId?: string;
      cookieCsrfToken?: string | null;
      /** The key thumbprint of the refresh's verified DPoP proof, if it sent one. */
      dpopJkt?: string;
    },
  ): Promise<SessionTokens> {
    const { cookieCsrfToken, ...context } = meta;
    const csrfCheck =
      cookieCsrfToken === undefined
        ? undefined
        : (sessionId: string) => this.csrf.verify(sessionId, cookieCsrfToken ?? undefined);
    // The rotation reads the user with the session (a locked user's token is refused there).
    const rotated = await this.rotation.rotate({ refreshToken, ...context, csrfCheck });
    return this.tokensFor(rotated.session, rotated.refreshToken, rotated.user, rotated.view);
  }

  private issueAccess(
    session: SessionEntity,
    user: Pick<UserEntity, 'id' | 'roles'>,
  ): ReturnType<AccessTokenService['issue']> {
    return this.tokens.issue({
      userId: user.id,
      sessionId: session.id,
      roles: user.roles,
      notAfter: [session.expiresAt, session.idleExpiresAt],
      authTime: session.authTime,
      amr: session.amr,
      dpopJkt: session.dpopJkt,
    });
  }

  private tokensFor(
    session: SessionEntity,
    refreshToken: string,
    user: UserViewSource,
    view: SessionView,
  ): Omit<SessionTokens, 'deviceCookie'> {
    const access = this.issueAccess(session, user);
    const refreshExpiresAt = new Date(
      Math.min(session.expiresAt.getTime(), session.idleExpiresAt.getTime()),
    );
    const nowMs = this.clock.nowMs();
    return {
      accessToken: access.token,
      tokenType: session.dpopJkt ? 'DPoP' : 'Bearer',
      accessExpiresAt: access.expiresAt,
      refreshToken,
      refreshExpiresAt,
      csrfToken: this.csrf.tokenFor(session.id),
      expiresIn: access.expiresIn,
      refreshExpiresIn: Math.max(0, Math.floor((refreshExpiresAt.getTime() - nowMs) / 1000)),
      session: view,
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

  /** One statement: the session, its device and the user, joined. */
  /**
   * The live session of a refresh token, for a cookie-mode page that reloaded after its access
   * token expired: it needs the session's CSRF token before it may refresh. Undefined for a
   * rotated, revoked or expired token.
   */
  async liveSessionOfRefreshToken(token: string): Promise<string | undefined> {
    const owner = await this.sessions.findByRefreshToken(token);
    const now = this.clock.nowMs();
    const live =
      owner?.tokenStatus === 'active' &&
      owner.sessionStatus === 'active' &&
      owner.expiresAt.getTime() > now &&
      owner.idleExpiresAt.getTime() > now;
    return live ? owner.sessionId : undefined;
  }

  async me(auth: AuthContext): Promise<{ user: UserView; session: SessionView }> {
    const current = await this.sessions.currentWithUser(auth);
    if (!current) throw new AppException('unauthenticated');
    return { user: UsersService.toView(current.user), session: current.session };
  }

  /**
   * Changes the password and ends every other session; the current one continues. A wrong
   * current password counts toward the account's failed-login protection (per account and
   * network: a stolen session cannot guess at leisure) and is recorded.
   */
  async changePassword(
    auth: AuthContext,
    dto: ChangePasswordDto,
    meta: RequestMeta,
  ): Promise<void> {
    const user = await this.users.findById(auth.userId);
    if (!user) throw new AppException('unauthenticated');
    const key = this.protection.keyFor(user.emailNormalized, meta.ip);
    await this.protection.assertAllowed(key);
    if (!(await this.users.verifyPassword(user, dto.currentPassword))) {
      await this.transactions.run(async (tx) => {
        const attempts = await this.protection.recordFailure(key, tx);
        await tx.record(
          'auth.password_change_failed',
          { userId: user.id, sessionId: auth.sessionId, ...meta },
          { reason: 'invalid_current_password', attempts },
        );
      });
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

  /**
   * Always answers the same (202); a message goes out only when the account exists. An
   * administrator's request for a user (support) carries the admin as `actorId`. Both paths
   * do the same work: a token minted and hashed, one transaction voiding earlier tokens and
   * recording `password.reset_requested` (for an unknown email: no user, a keyed email hash).
   * Only the token row itself is extra for a real account.
   */
  async forgotPassword(email: string, meta: RequestMeta, actorId?: string): Promise<void> {
    const user = await this.users.findByEmail(email);
    const token = newOpaqueToken();
    const tokenHash = hashToken(token);
    const expiresAt = new Date(this.clock.nowMs() + this.config.passwordResetTtlMs);
    await this.transactions.run(async (tx) => {
      // A new request voids earlier unused tokens (for no account: the same statement, no rows).
      await this.resetTokens.voidUnused(tx, user?.id ?? NO_ACCOUNT);
      if (!user) {
        await tx.record(
          'password.reset_requested',
          { ...meta },
          { emailMac: this.protection.emailMac(normalizeEmail(email)) },
        );
        return;
      }
      await this.resetTokens.insert(tx, user.id, tokenHash, expiresAt);
      await tx.record(
        'password.reset_requested',
        { userId: user.id, ...meta },
        actorId ? { actorId } : {},
      );
    });
    if (!user) return;
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
    // The owner proved control of the mailbox: lift every failed-login delay.
    await this.protection.clearAccount(emailNormalized);
  }
}
