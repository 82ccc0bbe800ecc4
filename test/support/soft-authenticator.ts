import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/** Authenticator data flags (WebAuthn §6.1). */
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

/** COSE (RFC 9053) labels and values for an ES256 P-256 public key. */
const COSE_KTY = 1;
const COSE_ALG = 3;
const COSE_CRV = -1;
const COSE_X = -2;
const COSE_Y = -3;
const KTY_EC2 = 2;
const ALG_ES256 = -7;
const CRV_P256 = 1;

export interface SoftAuthenticatorOptions {
  /** Backup eligible (a synced passkey) and backed up; default false: a device-bound key. */
  synced?: boolean;
  /** Set the UV flag (default true). */
  userVerification?: boolean;
  /** Added to the signature counter per assertion; 0 behaves like synced passkeys. Default 1. */
  counterStep?: number;
  aaguid?: Buffer;
}

/** Knobs for one ceremony, to produce what a phishing page or a broken authenticator would. */
export interface CeremonyOverrides {
  /** The origin the "browser" writes into clientDataJSON. */
  origin?: string;
  /** The rp id whose SHA-256 goes into authenticatorData. */
  rpId?: string;
  /** Sign with this exact counter (e.g. one that did not increase). */
  counter?: number;
  /** Use this credential (else the first one allowed for the rp id). */
  credentialId?: string;
  /** Leave out userHandle from the assertion. */
  omitUserHandle?: boolean;
}

interface StoredCredential {
  id: Buffer;
  rpId: string;
  userHandle: Buffer;
  privateKey: KeyObject;
  cosePublicKey: Uint8Array;
  counter: number;
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

function sha256(data: Buffer | string): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * A software WebAuthn authenticator plus the browser's part of the ceremony, for tests: ES256
 * P-256 keys from node:crypto, `none` attestation, real CBOR authenticator data and real
 * signatures over authenticatorData || SHA-256(clientDataJSON), so the server's verification
 * runs for real. Every credential is discoverable (it keeps the user handle).
 */
export class SoftAuthenticator {
  private readonly credentials: StoredCredential[] = [];
  private readonly synced: boolean;
  private readonly userVerification: boolean;
  private readonly counterStep: number;
  private readonly aaguid: Buffer;

  constructor(
    private readonly origin: string,
    options: SoftAuthenticatorOptions = {},
  ) {
    this.synced = options.synced ?? false;
    this.userVerification = options.userVerification ?? true;
    this.counterStep = options.counterStep ?? 1;
    this.aaguid = options.aaguid ?? Buffer.alloc(16);
  }

  get credentialIds(): string[] {
    return this.credentials.map((c) => c.id.toString('base64url'));
  }

  /** navigator.credentials.create(): a new credential for the options' rp and user. */
  createCredential(
    options: PublicKeyCredentialCreationOptionsJSON,
    overrides: CeremonyOverrides = {},
  ): RegistrationResponseJSON {
    const rpId = overrides.rpId ?? options.rp.id ?? new URL(this.origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentialIds.some((id) => excluded.has(id))) {
      throw new Error('InvalidStateError: this authenticator already holds a credential');
    }
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cosePublicKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [COSE_KTY, KTY_EC2],
        [COSE_ALG, ALG_ES256],
        [COSE_CRV, CRV_P256],
        [COSE_X, new Uint8Array(Buffer.from(jwk.x ?? '', 'base64url'))],
        [COSE_Y, new Uint8Array(Buffer.from(jwk.y ?? '', 'base64url'))],
      ]),
    );
    const credential: StoredCredential = {
      id: randomBytes(32),
      rpId,
      userHandle: Buffer.from(options.user.id, 'base64url'),
      privateKey,
      cosePublicKey,
      counter: 0,
    };
    const attested = Buffer.concat([
      this.aaguid,
      Buffer.from([credential.id.length >> 8, credential.id.length & 0xff]),
      credential.id,
      Buffer.from(cosePublicKey),
    ]);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags() | FLAG_AT]),
      u32(overrides.counter ?? 0),
      attested,
    ]);
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, overrides);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    this.credentials.push(credential);
    const id = credential.id.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal'],
      },
    };
  }

  /** navigator.credentials.get(): an assertion over the options' challenge. */
  getAssertion(
    options: PublicKeyCredentialRequestOptionsJSON,
    overrides: CeremonyOverrides = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const allowed = new Set((options.allowCredentials ?? []).map((c) => c.id));
    const credential = this.credentials.find((c) => {
      const id = c.id.toString('base64url');
      if (overrides.credentialId) return id === overrides.credentialId;
      return c.rpId === rpId && (allowed.size === 0 || allowed.has(id));
    });
    if (!credential) throw new Error('NotAllowedError: no credential for this request');
    credential.counter = overrides.counter ?? credential.counter + this.counterStep;
    const authenticatorData = Buffer.concat([
      sha256(overrides.rpId ?? rpId),
      Buffer.from([this.flags()]),
      u32(credential.counter),
    ]);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, overrides);
    // ES256 in WebAuthn is ECDSA with SHA-256 and an ASN.1 DER signature (node's default form).
    const signature = sign(
      'sha256',
      Buffer.concat([authenticatorData, sha256(clientDataJSON)]),
      credential.privateKey,
    );
    const id = credential.id.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authenticatorData.toString('base64url'),
        signature: signature.toString('base64url'),
        userHandle: overrides.omitUserHandle
          ? undefined
          : credential.userHandle.toString('base64url'),
      },
    };
  }

  private flags(): number {
    let flags = FLAG_UP;
    if (this.userVerification) flags |= FLAG_UV;
    if (this.synced) flags |= FLAG_BE | FLAG_BS;
    return flags;
  }

  private clientData(
    type: 'webauthn.create' | 'webauthn.get',
    challenge: string,
    overrides: CeremonyOverrides,
  ): Buffer {
    return Buffer.from(
      JSON.stringify({
        type,
        challenge,
        origin: overrides.origin ?? this.origin,
        crossOrigin: false,
      }),
      'utf8',
    );
  }
}
