import { Injectable } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type CredentialDeviceType,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { AppException } from '../common/app.exception';
import { AppConfig } from '../config/app-config';
import type { AmrValue } from '../events/event-catalog';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { UsersService } from '../users/users.service';
import type { WebAuthnChallengePurpose } from './webauthn-challenge.entity';
import type { WebAuthnCredentialEntity } from './webauthn-credential.entity';
import { WebAuthnRepository } from './webauthn.repository';

/** How long the browser may take (options.timeout) … */
const CEREMONY_TIMEOUT_MS = 120_000;
/** … and how long the server keeps the challenge: the timeout plus a little network slack. */
export const CHALLENGE_TTL_MS = CEREMONY_TIMEOUT_MS + 30_000;
const NAME_MAX = 100;

export interface PasskeyView {
  id: string;
  name: string;
  deviceId: string | null;
  deviceType: CredentialDeviceType;
  backedUp: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A registration the authenticator proved; nothing is stored until `save`. */
export interface VerifiedPasskeyRegistration {
  credentialId: string;
  publicKey: Buffer;
  counter: number;
  transports: string[];
  deviceType: CredentialDeviceType;
  backedUp: boolean;
  aaguid: string;
}

export type PasskeyFailure =
  'challenge' | 'unknown_credential' | 'wrong_user' | 'verification' | 'counter';

export type PasskeyCheck =
  | {
      ok: true;
      userId: string;
      credentialId: string;
      deviceId: string | null;
      /** RFC 8176: `hwk` for a device-bound key, `swk` for a synced (backup-eligible) one. */
      amr: AmrValue[];
    }
  | { ok: false; userId?: string; reason: PasskeyFailure };

export interface PasskeyExpectation {
  purpose: Exclude<WebAuthnChallengePurpose, 'registration'>;
  /** Known when the first factor (mfaToken) or the session names the user; unset: passwordless. */
  userId?: string;
}

/**
 * Device-bound credentials (backup ineligible, e.g. a security key) are hardware-protected
 * keys: `hwk`. Synced passkeys (backup eligible) can leave the device through the platform's
 * cloud sync, so they are reported as software-protected keys: `swk`. Relying parties that
 * trust synced passkeys as much may treat both alike; the distinction stays visible.
 */
export function amrForDeviceType(deviceType: CredentialDeviceType): AmrValue {
  return deviceType === 'singleDevice' ? 'hwk' : 'swk';
}

function toView(credential: WebAuthnCredentialEntity): PasskeyView {
  return {
    id: credential.id,
    name: credential.name,
    deviceId: credential.deviceId,
    deviceType: credential.deviceType,
    backedUp: credential.backupState,
    createdAt: credential.createdAt.toISOString(),
    lastUsedAt: credential.lastUsedAt?.toISOString() ?? null,
  };
}

/** The challenge the client signed, read from clientDataJSON (still unverified input). */
export function challengeOf(clientDataJSON: unknown): string | undefined {
  if (typeof clientDataJSON !== 'string' || clientDataJSON.length > 8192) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8'));
    const challenge = (parsed as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && /^[\w-]{16,128}$/.test(challenge)
      ? challenge
      : undefined;
  } catch {
    return undefined;
  }
}

/** The WebAuthn user handle is the user id's UTF-8 bytes: opaque, stable, no personal data. */
function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId, 'utf8'));
}

/**
 * Passkeys with @simplewebauthn/server: user verification required, discoverable credentials,
 * `none` attestation, challenges single use and short lived, sign counters and backup flags
 * kept. Challenges are spent in their own committed transaction before any verification, so a
 * failed attempt cannot be retried with the same challenge: never call the verify methods from
 * inside a transaction.
 */
@Injectable()
export class PasskeysService {
  constructor(
    private readonly repository: WebAuthnRepository,
    private readonly transactions: TransactionRunner,
    private readonly users: UsersService,
    private readonly config: AppConfig,
  ) {}

  /** Creation options for the user's next passkey; its challenge is stored. */
  async registrationOptions(
    tx: Tx,
    userId: string,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const user = await this.users.findById(userId, tx);
    if (!user) throw new AppException('not_found', 'User not found');
    const existing = await this.repository.listCredentials(userId, tx);
    const options = await generateRegistrationOptions({
      rpName: this.config.mfa.issuer,
      rpID: this.config.webauthn.rpId,
      userName: user.email,
      userID: userHandleOf(user.id),
      userDisplayName: user.displayName ?? user.email,
      timeout: CEREMONY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.id, transports: c.transports })),
      authenticatorSelection: {
        residentKey: 'required',
        requireResidentKey: true,
        userVerification: 'required',
      },
    });
    await this.storeChallenge(tx, options.challenge, 'registration', userId);
    return options;
  }

  /** Verifies an attestation against a challenge issued to this user. Stores nothing. */
  async verifyRegistration(
    userId: string,
    response: RegistrationResponseJSON,
  ): Promise<VerifiedPasskeyRegistration> {
    const refused = new AppException(
      'validation_failed',
      'The passkey registration could not be verified',
    );
    const challenge = challengeOf(response?.response?.clientDataJSON);
    const spent = challenge && (await this.spendChallenge(challenge, 'registration'));
    if (!challenge || !spent || spent.userId !== userId) throw refused;
    let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      result = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: [...this.config.webauthn.origins],
        expectedRPID: this.config.webauthn.rpId,
        requireUserPresence: true,
        requireUserVerification: true,
      });
    } catch {
      throw refused;
    }
    if (!result.verified) throw refused;
    const info = result.registrationInfo;
    return {
      credentialId: info.credential.id,
      publicKey: Buffer.from(info.credential.publicKey),
      counter: info.credential.counter,
      transports: info.credential.transports ?? response.response.transports ?? [],
      deviceType: info.credentialDeviceType,
      backedUp: info.credentialBackedUp,
      aaguid: info.aaguid,
    };
  }

  /** Stores a verified passkey for the user. */
  async save(
    tx: Tx,
    userId: string,
    verified: VerifiedPasskeyRegistration,
    input: { name?: string; deviceId?: string | null } = {},
  ): Promise<PasskeyView> {
    if (await this.repository.findCredential(verified.credentialId, tx)) {
      throw new AppException('validation_failed', 'This passkey is already registered');
    }
    const count = await this.repository.countCredentials(userId, tx);
    const credential = {
      id: verified.credentialId,
      userId,
      publicKey: verified.publicKey,
      signCount: verified.counter,
      transports: verified.transports,
      backupEligible: verified.deviceType === 'multiDevice',
      backupState: verified.backedUp,
      deviceType: verified.deviceType,
      aaguid: verified.aaguid,
      name: cleanName(input.name) ?? `Passkey ${count + 1}`,
      deviceId: input.deviceId ?? null,
      createdAt: tx.now(),
    };
    await this.repository.insertCredential(tx, credential);
    return toView({ ...credential, lastUsedAt: null });
  }

  async list(userId: string, tx?: Tx): Promise<PasskeyView[]> {
    return (await this.repository.listCredentials(userId, tx)).map(toView);
  }

  async rename(tx: Tx, userId: string, id: string, name: string): Promise<void> {
    const clean = cleanName(name);
    if (!clean) throw new AppException('validation_failed', 'A passkey name is required');
    if (!(await this.repository.rename(tx, userId, id, clean))) {
      throw new AppException('not_found', 'Passkey not found');
    }
  }

  /** Removes one of the user's passkeys; returns its name. Another user's id: not_found. */
  async remove(tx: Tx, userId: string, id: string): Promise<string> {
    const name = await this.repository.deleteCredential(tx, userId, id);
    if (name === undefined) throw new AppException('not_found', 'Passkey not found');
    return name;
  }

  removeAll(tx: Tx, userId: string): Promise<Array<{ id: string; name: string }>> {
    return this.repository.deleteAllCredentials(tx, userId);
  }

  /** Housekeeping: deletes challenges that expired before `before` (spent or not). */
  purgeChallenges(tx: Tx, before: Date, limit: number): Promise<number> {
    return this.repository.purgeChallenges(tx, before, limit);
  }

  /**
   * Request options. With a user: only their credentials are allowed. Without: no
   * allowCredentials, so the browser offers discoverable credentials (passwordless sign-in).
   */
  async authenticationOptions(
    tx: Tx,
    expectation: PasskeyExpectation,
  ): Promise<PublicKeyCredentialRequestOptionsJSON> {
    let allowCredentials: Array<{ id: string; transports: string[] }> | undefined;
    if (expectation.userId) {
      const credentials = await this.repository.listCredentials(expectation.userId, tx);
      if (credentials.length === 0) {
        throw new AppException('validation_failed', 'No passkey is registered for this account');
      }
      allowCredentials = credentials.map((c) => ({ id: c.id, transports: c.transports }));
    }
    const options = await generateAuthenticationOptions({
      rpID: this.config.webauthn.rpId,
      allowCredentials,
      userVerification: 'required',
      timeout: CEREMONY_TIMEOUT_MS,
    });
    await this.storeChallenge(
      tx,
      options.challenge,
      expectation.purpose,
      expectation.userId ?? null,
    );
    return options;
  }

  /**
   * Verifies an assertion: the challenge (spent first, in its own transaction), its binding to
   * the expected user, origin, rp id, user verification, signature and sign counter; then
   * records the use (counter, backup state, last use).
   */
  async verifyAuthentication(
    response: AuthenticationResponseJSON,
    expectation: PasskeyExpectation,
  ): Promise<PasskeyCheck> {
    const expectedUser = expectation.userId;
    const fail = (reason: PasskeyFailure, userId = expectedUser): PasskeyCheck => ({
      ok: false,
      userId,
      reason,
    });
    const challenge = challengeOf(response?.response?.clientDataJSON);
    const spent = challenge && (await this.spendChallenge(challenge, expectation.purpose));
    if (!challenge || !spent || spent.userId !== (expectedUser ?? null)) return fail('challenge');
    if (typeof response.id !== 'string' || response.id !== response.rawId) {
      return fail('unknown_credential');
    }
    const credential = await this.repository.findCredential(response.id);
    if (!credential) return fail('unknown_credential');
    if (expectedUser && credential.userId !== expectedUser) return fail('wrong_user');
    const handle = response.response.userHandle;
    // A discoverable assertion names its user; it must be the credential's owner.
    if ((!expectedUser && !handle) || (handle && !this.handleMatches(handle, credential.userId))) {
      return fail('wrong_user', credential.userId);
    }
    const verified = await this.verifyAssertion(response, challenge, credential);
    if (!verified) return fail('verification', credential.userId);
    const { newCounter, backedUp } = verified;
    // Same rule as the library, kept here so it holds whatever the library version does.
    const stored = credential.signCount;
    if ((newCounter > 0 || stored > 0) && newCounter <= stored) {
      return fail('counter', credential.userId);
    }
    const recorded = await this.transactions.run((tx) =>
      this.repository.recordUse(tx, credential.id, {
        expectedCount: stored,
        newCount: newCounter,
        backupState: backedUp,
      }),
    );
    if (!recorded) return fail('counter', credential.userId);
    return {
      ok: true,
      userId: credential.userId,
      credentialId: credential.id,
      deviceId: credential.deviceId,
      amr: [amrForDeviceType(credential.deviceType)],
    };
  }

  private async verifyAssertion(
    response: AuthenticationResponseJSON,
    challenge: string,
    credential: WebAuthnCredentialEntity,
  ): Promise<{ newCounter: number; backedUp: boolean } | undefined> {
    try {
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: [...this.config.webauthn.origins],
        expectedRPID: this.config.webauthn.rpId,
        expectedType: 'webauthn.get',
        credential: {
          id: credential.id,
          publicKey: new Uint8Array(credential.publicKey),
          counter: credential.signCount,
          transports: credential.transports,
        },
        requireUserVerification: true,
      });
      if (!result.verified) return undefined;
      const info = result.authenticationInfo;
      return { newCounter: info.newCounter, backedUp: info.credentialBackedUp };
    } catch {
      // The library throws for every refusal (origin, rp id, flags, signature, counter).
      return undefined;
    }
  }

  private handleMatches(handle: string, userId: string): boolean {
    return Buffer.from(handle, 'base64url').toString('utf8') === userId;
  }

  private async storeChallenge(
    tx: Tx,
    challenge: string,
    purpose: WebAuthnChallengePurpose,
    userId: string | null,
  ): Promise<void> {
    const expiresAt = new Date(tx.now().getTime() + CHALLENGE_TTL_MS);
    await this.repository.insertChallenge(tx, { challenge, purpose, userId, expiresAt });
  }

  private spendChallenge(
    challenge: string,
    purpose: WebAuthnChallengePurpose,
  ): Promise<{ userId: string | null } | undefined> {
    return this.transactions.run((tx) => this.repository.consumeChallenge(tx, challenge, purpose));
  }
}

function cleanName(name: string | undefined): string | undefined {
  const clean = name?.normalize('NFKC').trim().slice(0, NAME_MAX);
  return clean ? clean : undefined;
}
