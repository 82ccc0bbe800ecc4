import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { ACCESS_TOKEN_TTL_MAX_MS, AppConfig } from '../../config/app-config';
import { SigningKeyStore } from './signing-key-store.service';
import { signJws, verifyJws } from './signing-keys';

export interface AccessClaims {
  iss: string;
  aud: string;
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  roles: string[];
  /** When the user last authenticated in this session (RFC 9470; NumericDate). */
  auth_time: number;
  /** How (RFC 8176 values: pwd, otp, hwk, swk, user, mfa). */
  amr: string[];
  /** DPoP (RFC 9449 §6.1): the thumbprint of the key the token is bound to. */
  cnf?: { jkt: string };
}

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
  /** Seconds until expiry, as token responses report it. */
  expiresIn: number;
}

/** A client_credentials access token's claims: a service client, never a user or a session. */
export interface ServiceAccessClaims {
  iss: string;
  /** The issuer: service tokens are for Tessera's own service routes. */
  aud: string;
  sub: string;
  client_id: string;
  /** Space-separated scopes (RFC 9068 §2.2.3). */
  scope: string;
  jti: string;
  iat: number;
  exp: number;
}

/** The result of verifying a token: its claims, or why it was refused. */
export type Verification =
  | { ok: true; claims: AccessClaims }
  | { ok: false; code: 'token_invalid' }
  | { ok: false; code: 'token_expired'; claims: AccessClaims };

export const ACCESS_TOKEN_TYPE = 'at+jwt';
const CLOCK_TOLERANCE_SECONDS = 5;
// ~1 kB per entry (the token string is the key): about 10 MB at most.
const CACHE_LIMIT = 10_000;

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** A JSON object from a base64url segment, or undefined. */
function decodeSegment(segment: string): Record<string, unknown> | undefined {
  if (!BASE64URL.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function encodeSegment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/**
 * Times every token must carry: `exp` and `iat` numbers, `iat` not in the future, and the
 * lifetime no longer than any this service can have issued (a token minted with a leaked key or
 * a bug must not outlive the revocation horizon).
 */
function hasSoundTimes(claims: AccessClaims, nowSeconds: number): boolean {
  const { iat, exp } = claims as { iat: unknown; exp: unknown };
  return (
    typeof iat === 'number' &&
    typeof exp === 'number' &&
    Number.isFinite(iat) &&
    Number.isFinite(exp) &&
    iat <= nowSeconds + CLOCK_TOLERANCE_SECONDS &&
    exp > iat &&
    exp - iat <= ACCESS_TOKEN_TTL_MAX_MS / 1000 + CLOCK_TOLERANCE_SECONDS
  );
}

/**
 * The claims this service issues to users, each of the type it issues. A service client's token
 * (it has `client_id` and no session) never passes for a user's.
 */
function hasContractShape(claims: AccessClaims): boolean {
  return (
    !('client_id' in claims) &&
    typeof claims.sid === 'string' &&
    typeof claims.sub === 'string' &&
    Array.isArray(claims.roles) &&
    typeof claims.auth_time === 'number' &&
    Array.isArray(claims.amr) &&
    claims.amr.every((value) => typeof value === 'string') &&
    hasSoundConfirmation(claims)
  );
}

function hasAudience(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/** `cnf`, when present, must name a key thumbprint: a malformed binding is not "unbound". */
function hasSoundConfirmation(claims: AccessClaims): boolean {
  const cnf = claims.cnf as unknown;
  if (cnf === undefined) return true;
  return (
    typeof cnf === 'object' &&
    cnf !== null &&
    typeof (cnf as Record<string, unknown>).jkt === 'string'
  );
}

/**
 * Issues and verifies access tokens (RFC 9068 `at+jwt`) with node:crypto (RS256, PS256, ES256,
 * EdDSA). Verification pins the algorithm to the key's own, the issuer and the audience; the
 * header's `kid` only selects among our own keys, and `jku`, `x5u`, `jwk` and `x5c` are never
 * looked at. Verified tokens are cached until their `exp` because a signature check costs more
 * than the rest of a request; expiry is still checked on every call.
 */
@Injectable()
export class AccessTokenService {
  private readonly cache = new Map<string, AccessClaims>();

  constructor(
    private readonly keys: SigningKeyStore,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  issue(input: {
    userId: string;
    sessionId: string;
    roles: readonly string[];
    notAfter: Date[];
    /** The session's authentication context, carried unchanged through refreshes. */
    authTime: Date;
    amr: readonly string[];
    /** A DPoP-bound session's key thumbprint: the token carries it as cnf.jkt. */
    dpopJkt?: string | null;
  }): IssuedAccessToken {
    const nowMs = this.clock.nowMs();
    const iat = Math.floor(nowMs / 1000);
    // Never outlives the session's absolute deadline nor (when shorter) its idle deadline.
    const expMs = Math.min(
      nowMs + this.config.accessTokenTtlMs,
      ...input.notAfter.map((d) => d.getTime()),
    );
    const exp = Math.max(iat + 1, Math.floor(expMs / 1000));
    const claims: AccessClaims = {
      iss: this.config.jwt.issuer,
      aud: this.config.jwt.audience,
      sub: input.userId,
      sid: input.sessionId,
      jti: randomUUID(),
      iat,
      exp,
      roles: [...input.roles],
      auth_time: Math.floor(input.authTime.getTime() / 1000),
      amr: [...input.amr],
      ...(input.dpopJkt ? { cnf: { jkt: input.dpopJkt } } : {}),
    };
    const token = this.sign(claims);
    return { token, expiresAt: new Date(exp * 1000), expiresIn: exp - iat };
  }

  /** A client_credentials token: no session, no refresh; `aud` is the issuer (RFC 9068). */
  issueService(input: { clientId: string; scopes: readonly string[] }): IssuedAccessToken {
    const iat = Math.floor(this.clock.nowMs() / 1000);
    const exp = iat + Math.floor(this.config.serviceTokenTtlMs / 1000);
    const claims: ServiceAccessClaims = {
      iss: this.config.jwt.issuer,
      aud: this.config.jwt.issuer,
      sub: input.clientId,
      client_id: input.clientId,
      scope: input.scopes.join(' '),
      jti: randomUUID(),
      iat,
      exp,
    };
    return { token: this.sign(claims), expiresAt: new Date(exp * 1000), expiresIn: exp - iat };
  }

  /**
   * A service token's claims, or undefined: the same pinned signature, issuer and time checks as
   * a user's token, the issuer as audience, and the service shape (client_id = sub, a scope, no
   * session). Not cached: the caller reads the client from the database anyway.
   */
  verifyService(token: string): ServiceAccessClaims | undefined {
    const nowSeconds = this.clock.nowMs() / 1000;
    const claims = this.verifySignature(token) as ServiceAccessClaims | undefined;
    if (!claims) return undefined;
    const sound =
      claims.iss === this.config.jwt.issuer &&
      hasAudience(claims.aud, this.config.jwt.issuer) &&
      typeof claims.client_id === 'string' &&
      claims.sub === claims.client_id &&
      typeof claims.scope === 'string' &&
      !('sid' in claims) &&
      (claims as { nbf?: unknown }).nbf === undefined &&
      hasSoundTimes(claims as unknown as AccessClaims, nowSeconds) &&
      claims.exp + CLOCK_TOLERANCE_SECONDS > nowSeconds;
    return sound ? claims : undefined;
  }

  private sign(claims: object): string {
    const key = this.keys.active;
    if (!key.privateKey) throw new AppException('internal_error', 'No usable signing key');
    const header = { alg: key.alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid };
    const signingInput = `${encodeSegment(header)}.${encodeSegment(claims)}`;
    return `${signingInput}.${signJws(key.alg, key.privateKey, signingInput)}`;
  }

  verify(token: string): Verification {
    const nowSeconds = this.clock.nowMs() / 1000;
    const cached = this.cache.get(token);
    if (cached) {
      return cached.exp + CLOCK_TOLERANCE_SECONDS > nowSeconds
        ? { ok: true, claims: cached }
        : { ok: false, code: 'token_expired', claims: cached };
    }
    const claims = this.verifySignature(token);
    if (!claims || !this.hasSoundClaims(claims, nowSeconds)) {
      return { ok: false, code: 'token_invalid' };
    }
    // The signature is checked before expiry, so an expired token's claims are genuine.
    if (claims.exp + CLOCK_TOLERANCE_SECONDS <= nowSeconds) {
      return { ok: false, code: 'token_expired', claims };
    }
    this.remember(token, claims);
    return { ok: true, claims };
  }

  /** The payload of a token one of our keys signed, with the key's own algorithm. */
  private verifySignature(token: string): AccessClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [headerPart, payloadPart, signature] = parts;
    const header = decodeSegment(headerPart);
    if (!header || header.typ !== ACCESS_TOKEN_TYPE) return undefined;
    const key = this.keys.find(header.kid);
    if (!key || header.alg !== key.alg || !BASE64URL.test(signature)) return undefined;
    if (!verifyJws(key.alg, key.publicKey, `${headerPart}.${payloadPart}`, signature)) {
      return undefined;
    }
    return decodeSegment(payloadPart) as AccessClaims | undefined;
  }

  private hasSoundClaims(claims: AccessClaims, nowSeconds: number): boolean {
    const { nbf } = claims as { nbf?: unknown };
    return (
      claims.iss === this.config.jwt.issuer &&
      hasAudience(claims.aud, this.config.jwt.audience) &&
      (nbf === undefined ||
        (typeof nbf === 'number' && nbf <= nowSeconds + CLOCK_TOLERANCE_SECONDS)) &&
      hasSoundTimes(claims, nowSeconds) &&
      hasContractShape(claims)
    );
  }

  /** Verifies or throws the contract's 401. */
  verifyOrThrow(token: string): AccessClaims {
    const result = this.verify(token);
    if (result.ok) return result.claims;
    throw new AppException(result.code);
  }

  private remember(token: string, claims: AccessClaims): void {
    if (this.cache.size >= CACHE_LIMIT) {
      // Oldest first: Map iteration is insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(token, claims);
  }
}
