import { Injectable } from '@nestjs/common';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AppException } from '../common/app.exception';
import type { AmrValue, EventContext, EventDataMap, MfaMethod } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { EnrolledFactorsRepository } from './enrolled-factors.repository';
import { MfaTokenService } from './mfa-token.service';
import { type PasskeyExpectation, type PasskeyView, PasskeysService } from './passkeys.service';
import { RecoveryCodesService } from './recovery-codes.service';
import { type TotpEnrollment, TotpService } from './totp.service';

export interface MfaStatus {
  totp: boolean;
  passkeys: Array<{ id: string; name: string; createdAt: string; lastUsedAt: string | null }>;
  recoveryCodesLeft: number;
}

/** Request metadata for events; the user comes from the call itself. */
export type MfaEventMeta = Omit<EventContext, 'userId'>;

export type CodeMethod = Extract<MfaMethod, 'totp' | 'recovery_code'>;

export interface PasskeyAuthentication {
  userId: string;
  credentialId: string;
  deviceId: string | null;
  amr: AmrValue[];
}

type FailureReason = EventDataMap['mfa.challenge_failed']['reason'];

/** The amr of a session authenticated by `first` and then `second`: both, plus `mfa`. */
export function combinedAmr(first: readonly AmrValue[], second: readonly AmrValue[]): AmrValue[] {
  return [...new Set<AmrValue>([...first, ...second, 'mfa'])];
}

function invalidFactor(): AppException {
  return new AppException('mfa_invalid', 'The code or passkey was not accepted');
}

/**
 * The one entry point of the mfa module for auth, the self-service routes and admin: which
 * factors a user has, enrolment, verification, and the lifecycle events of all of it. Events
 * never carry a secret, a code or a recovery code (the catalog types allow none).
 *
 * Methods without a `tx` run their own transactions and must not be called from inside one
 * (the embedded database has a single connection). Verification failures are recorded in a
 * transaction of their own, committed before `mfa_invalid` is thrown.
 */
@Injectable()
export class MfaService {
  constructor(
    private readonly totp: TotpService,
    private readonly recoveryCodes: RecoveryCodesService,
    private readonly passkeys: PasskeysService,
    private readonly tokens: MfaTokenService,
    private readonly transactions: TransactionRunner,
    private readonly enrolled: EnrolledFactorsRepository,
  ) {}

  /** The second-factor methods the user can answer `mfa_required` with. */
  async methods(userId: string, tx?: Tx): Promise<MfaMethod[]> {
    const enrolled = await this.enrolled.of(userId, tx);
    const methods: MfaMethod[] = [];
    if (enrolled.totp) methods.push('totp');
    if (enrolled.passkeys > 0) methods.push('webauthn');
    // Recovery codes stand in for a factor; alone they are not one (and every login of a user
    // without a factor, the common case, is spared the count).
    if (methods.length > 0 && (await this.recoveryCodes.countLeft(userId, tx)) > 0) {
      methods.push('recovery_code');
    }
    return methods;
  }

  async hasSecondFactor(userId: string, tx?: Tx): Promise<boolean> {
    const methods = await this.methods(userId, tx);
    return methods.includes('totp') || methods.includes('webauthn');
  }

  /** `GET /me/mfa`. */
  async status(userId: string): Promise<MfaStatus> {
    const [totp, passkeys, recoveryCodesLeft] = await Promise.all([
      this.totp.isEnabled(userId),
      this.passkeys.list(userId),
      this.recoveryCodes.countLeft(userId),
    ]);
    return {
      totp,
      passkeys: passkeys.map(({ id, name, createdAt, lastUsedAt }) => ({
        id,
        name,
        createdAt,
        lastUsedAt,
      })),
      recoveryCodesLeft,
    };
  }

  /** `POST /me/mfa/totp`: a pending authenticator-app factor. */
  beginTotpEnrollment(userId: string): Promise<TotpEnrollment> {
    return this.transactions.run((tx) => this.totp.beginEnrollment(tx, userId));
  }

  /** `POST /me/mfa/totp/confirm`: enables TOTP and returns ten new recovery codes, once. */
  async confirmTotp(
    userId: string,
    code: string,
    meta: MfaEventMeta,
  ): Promise<{ recoveryCodes: string[] }> {
    const context = { ...meta, userId };
    const result = await this.transactions.run(async (tx) => {
      const confirmed = await this.totp.confirm(tx, userId, code);
      if (confirmed.ok) {
        await tx.record('mfa.enrolled', context, {
          method: 'totp',
          recoveryCodes: confirmed.recoveryCodes.length,
        });
      }
      return confirmed;
    });
    if (result.ok) return { recoveryCodes: result.recoveryCodes };
    if (result.reason === 'no_factor') {
      throw new AppException('validation_failed', 'Start the authenticator app enrolment first');
    }
    return this.failed(context, 'totp', result.reason);
  }

  /** `DELETE /me/mfa/totp`. Recovery codes go too when no other factor remains. */
  async disableTotp(userId: string, meta: MfaEventMeta): Promise<void> {
    await this.transactions.run(async (tx) => {
      if (!(await this.totp.disable(tx, userId))) {
        throw new AppException('not_found', 'No authenticator app is enabled');
      }
      await this.dropOrphanedRecoveryCodes(tx, userId);
      await tx.record('mfa.disabled', { ...meta, userId }, { method: 'totp' });
    });
  }

  /** `POST /me/mfa/recovery-codes`: a new set replaces the old one; shown once. */
  async regenerateRecoveryCodes(userId: string, meta: MfaEventMeta): Promise<string[]> {
    return this.transactions.run(async (tx) => {
      if (!(await this.hasSecondFactor(userId, tx))) {
        throw new AppException('validation_failed', 'Enable a second factor first');
      }
      const codes = await this.recoveryCodes.regenerate(tx, userId);
      await tx.record(
        'mfa.enrolled',
        { ...meta, userId },
        { method: 'recovery_code', recoveryCodes: codes.length },
      );
      return codes;
    });
  }

  /**
   * Checks a TOTP or recovery code of the user; the amr it adds (`otp`: a recovery code is a
   * one-time look-up secret). Wrong, replayed or missing: `mfa.challenge_failed` is recorded
   * and `mfa_invalid` thrown (the caller counts it like a failed login).
   */
  async verifySecondFactor(
    userId: string,
    method: CodeMethod,
    code: string,
    meta: MfaEventMeta,
  ): Promise<AmrValue[]> {
    const context = { ...meta, userId };
    const failure = await this.transactions.run(async (tx): Promise<FailureReason | undefined> => {
      if (method === 'totp') {
        const check = await this.totp.verify(tx, userId, code);
        return check.ok ? undefined : check.reason;
      }
      // Recovery codes only count while a real factor exists (they are its fallback).
      if (!(await this.hasSecondFactor(userId, tx))) return 'no_factor';
      if (!(await this.recoveryCodes.consume(tx, userId, code))) return 'invalid_code';
      const remaining = await this.recoveryCodes.countLeft(userId, tx);
      await tx.record('mfa.recovery_code_used', context, { remaining });
      return undefined;
    });
    if (failure) return this.failed(context, method, failure);
    return ['otp'];
  }

  /** `POST /me/passkeys/options`. */
  passkeyRegistrationOptions(userId: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.transactions.run((tx) => this.passkeys.registrationOptions(tx, userId));
  }

  /** `POST /me/passkeys`: verifies the attestation and stores the passkey. */
  async addPasskey(
    userId: string,
    response: RegistrationResponseJSON,
    input: { name?: string; deviceId?: string | null },
    meta: MfaEventMeta,
  ): Promise<PasskeyView> {
    const verified = await this.passkeys.verifyRegistration(userId, response);
    return this.transactions.run(async (tx) => {
      const view = await this.passkeys.save(tx, userId, verified, input);
      await tx.record(
        'passkey.added',
        { ...meta, userId, deviceId: view.deviceId ?? meta.deviceId },
        {
          credentialId: view.id,
          name: view.name,
          deviceType: view.deviceType,
          backedUp: view.backedUp,
        },
      );
      return view;
    });
  }

  renamePasskey(userId: string, id: string, name: string): Promise<void> {
    return this.transactions.run((tx) => this.passkeys.rename(tx, userId, id, name));
  }

  /** `DELETE /me/passkeys/{id}`. Recovery codes go too when no other factor remains. */
  async removePasskey(userId: string, id: string, meta: MfaEventMeta): Promise<void> {
    await this.transactions.run(async (tx) => {
      const name = await this.passkeys.remove(tx, userId, id);
      await this.dropOrphanedRecoveryCodes(tx, userId);
      await tx.record('passkey.removed', { ...meta, userId }, { credentialId: id, name });
    });
  }

  /** `POST /auth/passkeys/options` (and step-up): request options with a stored challenge. */
  passkeyAuthenticationOptions(
    expectation: PasskeyExpectation,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.transactions.run((tx) => this.passkeys.authenticationOptions(tx, expectation));
  }

  /**
   * Verifies a passkey assertion (second factor, passwordless sign-in or step-up). Refused:
   * `mfa.challenge_failed` when the user is known, then `mfa_invalid`.
   */
  async verifyPasskey(
    response: AuthenticationResponseJSON,
    expectation: PasskeyExpectation,
    meta: MfaEventMeta,
  ): Promise<PasskeyAuthentication> {
    const check = await this.passkeys.verifyAuthentication(response, expectation);
    if (check.ok) {
      const { userId, credentialId, deviceId, amr } = check;
      return { userId, credentialId, deviceId, amr };
    }
    if (check.userId) {
      return this.failed({ ...meta, userId: check.userId }, 'webauthn', 'assertion_refused');
    }
    throw invalidFactor();
  }

  /** Records a successful step-up (RFC 9470 re-authentication) in the caller's transaction. */
  async recordStepUp(
    tx: Tx,
    context: EventContext,
    method: EventDataMap['auth.step_up']['method'],
    amr: AmrValue[],
  ): Promise<void> {
    await tx.record('auth.step_up', context, { method, amr });
  }

  /**
   * Removes every second factor of a user (admin reset, CLI `mfa:reset`), in the caller's
   * transaction, audited with the admin as actor.
   */
  async resetAll(tx: Tx, userId: string, actorId: string, meta: MfaEventMeta = {}): Promise<void> {
    const context = { ...meta, userId };
    await this.totp.disable(tx, userId);
    for (const passkey of await this.passkeys.removeAll(tx, userId)) {
      await tx.record('passkey.removed', context, {
        credentialId: passkey.id,
        name: passkey.name,
        actorId,
      });
    }
    await this.recoveryCodes.removeAll(tx, userId);
    await tx.record('mfa.disabled', context, { method: 'all', actorId });
  }

  private async dropOrphanedRecoveryCodes(tx: Tx, userId: string): Promise<void> {
    if (!(await this.hasSecondFactor(userId, tx))) await this.recoveryCodes.removeAll(tx, userId);
  }

  private async failed(
    context: EventContext,
    method: MfaMethod,
    reason: FailureReason,
  ): Promise<never> {
    await this.transactions.run((tx) =>
      tx.record('mfa.challenge_failed', context, { method, reason }),
    );
    throw invalidFactor();
  }
}
