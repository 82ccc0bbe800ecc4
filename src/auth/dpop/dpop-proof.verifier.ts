import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, type JWTPayload, jwtVerify } from 'jose';
import type { Clock } from '../../common/clock';
import type { DpopNonces } from './dpop-nonces';

/** Asymmetric algorithms a proof may be signed with (advertised in the metadata). */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;
export const DPOP_PROOF_TYPE = 'dpop+jwt';
const MAX_JTI_LENGTH = 256;

export interface ProofExpectation {
  /** The request's method (htm). */
  method: string;
  /** The request's URL without query and fragment, built from PUBLIC_URL (htu). */
  url: string;
  /** At resource routes: the access token the proof must be bound to (ath). */
  accessToken?: string;
  /** Token endpoints require a server nonce; resource routes check one only when sent. */
  nonceRequired: boolean;
}

export interface VerifiedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key. */
  jkt: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
}

export type ProofRefusal = { code: 'invalid_dpop_proof' | 'use_dpop_nonce'; detail: string };
export type ProofResult = { ok: true; proof: VerifiedProof } | ({ ok: false } & ProofRefusal);

const refuse = (detail: string): ProofResult => ({ ok: false, code: 'invalid_dpop_proof', detail });

/** base64url(SHA-256(token)): the `ath` claim of RFC 9449 §4.2. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/** The URL without query and fragment, normalized (scheme and host lower-cased, default port). */
function normalizeUrl(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * Checks one DPoP proof (RFC 9449 §4.3) against the request it came with. Stateless: replay
 * (jti) is the caller's job, because where it is remembered depends on the route.
 */
export class DpopProofVerifier {
  constructor(
    private readonly clock: Clock,
    private readonly leewayMs: number,
    private readonly nonces: DpopNonces,
  ) {}

  async verify(proof: string | undefined, expected: ProofExpectation): Promise<ProofResult> {
    // Several DPoP headers arrive joined with ", ": a JWT has neither character.
    if (!proof || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(proof)) {
      return refuse('Send exactly one DPoP proof (a JWT) in the DPoP header');
    }
    let payload: JWTPayload;
    let jwk: Record<string, unknown>;
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, {
        typ: DPOP_PROOF_TYPE,
        algorithms: [...DPOP_ALGORITHMS],
        currentDate: this.clock.now(),
      });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk as Record<string, unknown>;
    } catch {
      return refuse('The DPoP proof is not a valid dpop+jwt signed with its embedded key');
    }
    if ('d' in jwk) return refuse('The DPoP proof header carries a private key');
    const claims = this.checkClaims(payload, expected);
    if (claims) return claims;
    const nonce = this.checkNonce(payload.nonce, expected.nonceRequired);
    if (nonce) return nonce;
    const jkt = await calculateJwkThumbprint(jwk);
    return { ok: true, proof: { jkt, jti: payload.jti as string, iat: payload.iat as number } };
  }

  private checkClaims(payload: JWTPayload, expected: ProofExpectation): ProofResult | undefined {
    const { jti, iat } = payload;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      return refuse('The DPoP proof needs a jti');
    }
    if (payload.htm !== expected.method) return refuse('The DPoP proof htm does not match');
    if (
      typeof payload.htu !== 'string' ||
      normalizeUrl(payload.htu) === undefined ||
      normalizeUrl(payload.htu) !== normalizeUrl(expected.url)
    ) {
      return refuse('The DPoP proof htu does not match');
    }
    if (typeof iat !== 'number' || !Number.isFinite(iat)) return refuse('The DPoP proof needs iat');
    if (Math.abs(iat * 1000 - this.clock.nowMs()) > this.leewayMs) {
      return refuse('The DPoP proof iat is too far from the server time');
    }
    if (expected.accessToken !== undefined) {
      if (payload.ath !== accessTokenHash(expected.accessToken)) {
        return refuse('The DPoP proof ath does not match the access token');
      }
    }
    return undefined;
  }

  private checkNonce(nonce: unknown, required: boolean): ProofResult | undefined {
    if (nonce === undefined && !required) return undefined;
    if (typeof nonce === 'string' && this.nonces.isValid(nonce)) return undefined;
    return {
      ok: false,
      code: 'use_dpop_nonce',
      detail: 'Send a DPoP proof with the nonce from the DPoP-Nonce header',
    };
  }
}
