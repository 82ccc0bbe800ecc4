import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { ACCESS_TOKEN_TTL_MAX_MS, AppConfig } from '../../config/app-config';
import { SigningKeyStore } from './signing-key-store.service';

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

/** The result of verifying a token: its claims, or why it was refused. */
export type Verification =
  | { ok: true; claims: AccessClaims }
  | { ok: false; code: 'token_invalid' }
  | { ok: false; code: 'token_expired'; claims: AccessClaims };

export const ACCESS_TOKEN_TYPE = 'at+jwt';
const CLOCK_TOLERANCE_SECONDS = 5;
// ~1 kB per entry (the token string is the key): about 10 MB at most.
const CACHE_LIMIT = 10_000;

function decodeHeader(token: string): Record<string, unknown> | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(
      Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'),
    );
    return typeof header === 'object' && header !== null
      ? (header as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Claims jsonwebtoken does not insist on: `exp` and `iat` must be numbers, `iat` not in the
 * future, and the lifetime no longer than any this service can have issued (a token minted with
 * a leaked key or a bug must not outlive the revocation horizon).
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

function decodePayload(token: string): AccessClaims {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as AccessClaims;
}

/**
 * Issues and verifies access tokens (RFC 9068 `at+jwt`). Verification pins the algorithm,
 * issuer and audience; the header's `kid` only selects among our own keys, and `jku`, `x5u`,
 * `jwk` and `x5c` are never looked at. Verified tokens are cached until their `exp` because an
 * RSA verify costs more than the rest of a request; expiry is still checked on every call.
 */
@Injectable()
export class AccessTokenService {
  private readonly cache = new Map<string, AccessClaims>();

  constructor(
    private readonly jwt: JwtService,
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
    const key = this.keys.active;
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
    const token = this.jwt.sign(claims, {
      algorithm: key.alg,
      keyid: key.kid,
      header: { alg: key.alg, typ: ACCESS_TOKEN_TYPE, kid: key.kid },
    });
    return { token, expiresAt: new Date(exp * 1000), expiresIn: exp - iat };
  }

  verify(token: string): Verification {
    const nowSeconds = this.clock.nowMs() / 1000;
    const cached = this.cache.get(token);
    if (cached) {
      return cached.exp + CLOCK_TOLERANCE_SECONDS > nowSeconds
        ? { ok: true, claims: cached }
        : { ok: false, code: 'token_expired', claims: cached };
    }
    const header = decodeHeader(token);
    if (!header || header.typ !== ACCESS_TOKEN_TYPE || !this.keys.find(header.kid)) {
      return { ok: false, code: 'token_invalid' };
    }
    try {
      const claims = this.jwt.verify<AccessClaims>(token, {
        algorithms: [this.config.jwt.algorithm],
        issuer: this.config.jwt.issuer,
        audience: this.config.jwt.audience,
        clockTimestamp: Math.floor(nowSeconds),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (
        typeof claims.sid !== 'string' ||
        typeof claims.sub !== 'string' ||
        !Array.isArray(claims.roles) ||
        !hasSoundTimes(claims, nowSeconds) ||
        typeof claims.auth_time !== 'number' ||
        !Array.isArray(claims.amr) ||
        !claims.amr.every((value) => typeof value === 'string') ||
        !hasSoundConfirmation(claims)
      ) {
        return { ok: false, code: 'token_invalid' };
      }
      this.remember(token, claims);
      return { ok: true, claims };
    } catch (error) {
      // jsonwebtoken checks the signature before expiry, so an expired token's claims are genuine.
      if (error instanceof Error && error.name === 'TokenExpiredError') {
        const claims = decodePayload(token);
        return hasSoundTimes(claims, nowSeconds)
          ? { ok: false, code: 'token_expired', claims }
          : { ok: false, code: 'token_invalid' };
      }
      return { ok: false, code: 'token_invalid' };
    }
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
