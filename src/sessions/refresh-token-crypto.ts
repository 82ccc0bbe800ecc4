import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../common/constant-time';
import { hashToken } from '../common/opaque-token';

/** Constant-time comparison of a presented secret with a stored hash of it. */
export function matchesHash(token: string, expectedHash: string): boolean {
  const actual = Buffer.from(hashToken(token), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return constantTimeEqual(actual, expected);
}

function sealingKey(token: string): Buffer {
  return Buffer.from(hkdfSync('sha256', token, 'tessera', 'refresh-successor-v1', 32));
}

/** AES-256-GCM under a key only the holder of `token` can derive. */
export function sealWithToken(token: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(token), iv);
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
}

export function unsealWithToken(token: string, sealed: string): string | undefined {
  const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !body) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealingKey(token), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
