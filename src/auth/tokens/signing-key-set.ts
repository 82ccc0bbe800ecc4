import type { JwtAlgorithm } from '../../config/app-config';
import type { PublicJwk, SigningKey } from './signing-keys';

/** What selection looks at: the times that decide what a key does (epoch milliseconds). */
export interface TimedKey {
  kid: string;
  alg: JwtAlgorithm;
  publicJwk: PublicJwk;
  /** Present when this instance can sign with the key. */
  privateKey?: unknown;
  createdAtMs: number;
  signFromMs: number;
  /** Null while the key may still sign (it has no successor yet). */
  retireAfterMs: number | null;
}

export type ManagedKey = SigningKey & TimedKey;

/**
 * pending: published, not signing yet · active: signs now · verifying: superseded, its tokens
 * still verify · retired: gone from the JWKS, its tokens refused.
 */
export type KeyState = 'pending' | 'active' | 'verifying' | 'retired';

/**
 * The rules of key selection by time. Every instance holds the same rows and asks with its own
 * clock, so they all switch to a new key at its `signFrom` without talking to each other.
 */
export class SigningKeySet<K extends TimedKey = ManagedKey> {
  /** Ordered by signFrom, oldest first. */
  private readonly keys: readonly K[];
  private readonly byKid: ReadonlyMap<string, K>;

  constructor(
    keys: readonly K[],
    private readonly signingAlg: JwtAlgorithm,
  ) {
    this.keys = [...keys].sort(
      (a, b) => a.signFromMs - b.signFromMs || a.createdAtMs - b.createdAtMs,
    );
    this.byKid = new Map(this.keys.map((key) => [key.kid, key]));
  }

  static isRetired(key: TimedKey, nowMs: number): boolean {
    return key.retireAfterMs !== null && nowMs > key.retireAfterMs;
  }

  /** The newest key of the configured algorithm whose signFrom has come and that we can use. */
  signer(nowMs: number): K | undefined {
    for (let i = this.keys.length - 1; i >= 0; i -= 1) {
      const key = this.keys[i];
      if (
        key.alg === this.signingAlg &&
        key.privateKey !== undefined &&
        key.signFromMs <= nowMs &&
        !SigningKeySet.isRetired(key, nowMs)
      ) {
        return key;
      }
    }
    return undefined;
  }

  /** `kid` comes from an unverified header: it is only ever a map lookup key. */
  find(kid: unknown, nowMs: number): K | undefined {
    if (typeof kid !== 'string') return undefined;
    const key = this.byKid.get(kid);
    return key && !SigningKeySet.isRetired(key, nowMs) ? key : undefined;
  }

  /** Every key not yet retired: pending ones too, so verifiers know them before they sign. */
  published(nowMs: number): PublicJwk[] {
    return this.keys
      .filter((key) => !SigningKeySet.isRetired(key, nowMs))
      .map((key) => key.publicJwk);
  }

  state(key: K, nowMs: number): KeyState {
    if (SigningKeySet.isRetired(key, nowMs)) return 'retired';
    if (key.signFromMs > nowMs) return 'pending';
    return this.signer(nowMs)?.kid === key.kid ? 'active' : 'verifying';
  }

  all(): readonly K[] {
    return this.keys;
  }
}

/** What /.well-known/jwks.json tells verifiers they may cache it for (Cache-Control max-age). */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * When a key that a successor replaces at `successorSignFromMs` stops verifying: it may sign
 * until that moment, its last token lives `tokenTtlMs` longer (the longest lifetime of any token
 * it signs: user access tokens and service tokens alike), plus clock leeway between instances
 * and verifiers.
 */
export function retirementTime(
  successorSignFromMs: number,
  tokenTtlMs: number,
  leewayMs: number,
): number {
  return successorSignFromMs + tokenTtlMs + leewayMs;
}

/**
 * How long a key stays stored after its retirement before it is deleted: the longest token
 * lifetime again (a token issued just before the retirement, against a skewed clock) plus the
 * time a verifier may go on using a cached JWKS that still lists it. Past that, nothing it
 * signed verifies anywhere, and the row only costs a reload.
 */
export function purgeDelayMs(tokenTtlMs: number, jwksMaxAgeSeconds = JWKS_MAX_AGE_SECONDS): number {
  return tokenTtlMs + jwksMaxAgeSeconds * 1000;
}
