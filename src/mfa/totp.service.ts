import { Injectable } from '@nestjs/common';
import { generateSecret, generateURI, verify } from 'otplib';
import { AppException } from '../common/app.exception';
import { Clock } from '../common/clock';
import { SecretBox } from '../common/secret-box';
import { AppConfig } from '../config/app-config';
import type { Tx } from '../events/transaction-runner.service';
import { UsersService } from '../users/users.service';
import { RecoveryCodesService } from './recovery-codes.service';
import { TotpFactorsRepository } from './totp-factors.repository';

/** RFC 6238 as authenticator apps implement it: HMAC-SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** ±1 step of clock skew, in seconds as otplib counts it. */
const TOLERANCE_SECONDS = PERIOD_SECONDS;
/** 160-bit seeds, the RFC 4226 recommendation for SHA-1. */
const SECRET_BYTES = 20;

export interface TotpEnrollment {
  /** Base32 seed, for typing into an app; shown once, while the factor is pending. */
  secret: string;
  otpauthUri: string;
}

export type TotpCheck =
  | { ok: true; step: number }
  | { ok: false; reason: 'invalid_code' | 'replayed_code' | 'no_factor' };

@Injectable()
export class TotpService {
  constructor(
    private readonly repository: TotpFactorsRepository,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly users: UsersService,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Starts (or restarts) enrolment: a new pending seed, sealed at rest. */
  async beginEnrollment(tx: Tx, userId: string): Promise<TotpEnrollment> {
    const user = await this.users.findById(userId, tx);
    if (!user) throw new AppException('not_found', 'User not found');
    const secret = generateSecret({ length: SECRET_BYTES });
    const stored = await this.repository.upsertPending(tx, userId, this.seal(userId, secret));
    if (!stored) {
      throw new AppException(
        'validation_failed',
        'An authenticator app is already enabled; remove it before enrolling another',
      );
    }
    const otpauthUri = generateURI({
      issuer: this.config.mfa.issuer,
      label: user.email,
      secret,
      algorithm: 'sha1',
      digits: DIGITS,
      period: PERIOD_SECONDS,
    });
    return { secret, otpauthUri };
  }

  /**
   * Confirms a pending factor with its first code; on success it is enabled and the user gets a
   * fresh set of recovery codes (returned once).
   */
  async confirm(
    tx: Tx,
    userId: string,
    code: string,
  ): Promise<{ ok: true; recoveryCodes: string[] } | Extract<TotpCheck, { ok: false }>> {
    const factor = await this.repository.find(userId, tx);
    if (!factor || factor.confirmedAt !== null) return { ok: false, reason: 'no_factor' };
    const check = await this.check(userId, factor.secretSealed, factor.lastUsedStep, code);
    if (!check.ok) return check;
    if (!(await this.repository.confirm(tx, userId, check.step))) {
      return { ok: false, reason: 'replayed_code' };
    }
    return { ok: true, recoveryCodes: await this.recoveryCodes.regenerate(tx, userId) };
  }

  /** Verifies a code of the enabled factor; each time step is accepted at most once. */
  async verify(tx: Tx, userId: string, code: string): Promise<TotpCheck> {
    const factor = await this.repository.find(userId, tx);
    if (!factor || factor.confirmedAt === null) return { ok: false, reason: 'no_factor' };
    const check = await this.check(userId, factor.secretSealed, factor.lastUsedStep, code);
    if (!check.ok) return check;
    // The read above may be stale under a race; the conditional UPDATE is the real gate.
    const spent = await this.repository.spendStep(tx, userId, check.step);
    return spent ? check : { ok: false, reason: 'replayed_code' };
  }

  /** Removes the factor (pending or enabled); true when an enabled one was removed. */
  async disable(tx: Tx, userId: string): Promise<boolean> {
    return (await this.repository.delete(tx, userId)).wasConfirmed;
  }

  async isEnabled(userId: string, tx?: Tx): Promise<boolean> {
    const factor = await this.repository.find(userId, tx);
    return factor !== null && factor.confirmedAt !== null;
  }

  private async check(
    userId: string,
    sealed: string,
    lastUsedStep: number,
    code: string,
  ): Promise<TotpCheck> {
    const token = code.replace(/\s/g, '');
    if (!/^\d{6}$/.test(token)) return { ok: false, reason: 'invalid_code' };
    // otplib compares codes in constant time; the epoch comes from the injected clock.
    const result = await verify({
      secret: this.box.open(sealed, aad(userId)),
      token,
      algorithm: 'sha1',
      digits: DIGITS,
      period: PERIOD_SECONDS,
      epoch: Math.floor(this.clock.nowMs() / 1000),
      epochTolerance: TOLERANCE_SECONDS,
    });
    // The result type also covers HOTP; a TOTP match always carries its time step.
    if (!result.valid || !('timeStep' in result)) return { ok: false, reason: 'invalid_code' };
    const step = result.timeStep;
    if (step <= lastUsedStep) return { ok: false, reason: 'replayed_code' };
    return { ok: true, step };
  }

  private seal(userId: string, secret: string): string {
    return this.box.seal(secret, aad(userId));
  }
}

/** Binds a sealed seed to its row: copied to another user, it does not open. */
function aad(userId: string): string {
  return `totp:${userId}`;
}
