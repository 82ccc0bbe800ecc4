import { hashToken, newOpaqueToken } from '../common/opaque-token';
import { timeOrderedId, uuidFromHex } from '../common/time-ordered-id';

/**
 * How a presented refresh token finds its row. Tokens are issued as `<row id>.<secret>` (a split
 * token): the row is found by its primary key, and the hash of the whole token must match, so
 * the lookup never searches by a secret. The time-ordered id keeps inserts at the right edge of
 * the primary key, where a unique index on random hashes put each one on a random page.
 * Tokens issued before ids were carried (no dot) are found by hash among the legacy rows.
 */
export interface RefreshTokenKey {
  /** The row id the token carries; null for a token of the earlier, id-less format. */
  id: string | null;
  /** SHA-256 of the whole token, as stored. */
  hash: string;
}

/** The key of a token this service issued: it always carries its row id. */
export type IssuedRefreshTokenKey = RefreshTokenKey & { id: string };

export interface NewRefreshToken {
  token: string;
  key: IssuedRefreshTokenKey;
}

const ISSUED_FORMAT = /^([0-9a-f]{32})\.[\w-]{43}$/;

export function newRefreshToken(): NewRefreshToken {
  const id = timeOrderedId();
  const token = `${id.replaceAll('-', '')}.${newOpaqueToken()}`;
  return { token, key: { id, hash: hashToken(token) } };
}

/** The lookup key of any presented string (a malformed one simply matches no row). */
export function refreshTokenKey(token: string): RefreshTokenKey {
  const parts = ISSUED_FORMAT.exec(token);
  return { id: parts ? uuidFromHex(parts[1]) : null, hash: hashToken(token) };
}
