import { hashToken, newOpaqueToken } from '../common/opaque-token';
import { matchesHash, sealWithToken, unsealWithToken } from './refresh-token-crypto';

describe('refresh token crypto', () => {
  it('makes 256-bit tokens that never repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newOpaqueToken()));
    expect(tokens.size).toBe(1000);
    expect(Buffer.from([...tokens][0], 'base64url')).toHaveLength(32);
  });

  it('matches a token against its hash only', () => {
    const token = newOpaqueToken();
    expect(matchesHash(token, hashToken(token))).toBe(true);
    expect(matchesHash(newOpaqueToken(), hashToken(token))).toBe(false);
    expect(matchesHash(token, 'abcd')).toBe(false);
  });

  it('seals a successor that only the previous token opens', () => {
    const previous = newOpaqueToken();
    const successor = newOpaqueToken();
    const sealed = sealWithToken(previous, successor);
    expect(sealed).not.toContain(successor);
    expect(unsealWithToken(previous, sealed)).toBe(successor);
    expect(unsealWithToken(newOpaqueToken(), sealed)).toBeUndefined();
    // Flip one bit of the ciphertext: GCM authentication must fail.
    const [iv, tag, body] = sealed.split('.');
    const bytes = Buffer.from(body, 'base64url');
    bytes[0] ^= 1;
    expect(
      unsealWithToken(previous, [iv, tag, bytes.toString('base64url')].join('.')),
    ).toBeUndefined();
  });
});
