import { createHash, randomBytes } from 'node:crypto';

const TOKEN_BYTES = 32; // 256 bits from the CSPRNG

/** A bearer secret (refresh token, reset token, mfaToken): random, URL-safe, stored only hashed. */
export function newOpaqueToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** The stored form of an opaque token: a high-entropy secret needs no slow or salted hash. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
