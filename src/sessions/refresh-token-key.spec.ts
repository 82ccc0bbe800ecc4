import { hashToken, newOpaqueToken } from '../common/opaque-token';
import { newRefreshToken, refreshTokenKey } from './refresh-token-key';

describe('refresh token keys', () => {
  it('issues `<row id>.<secret>` with a time-ordered id, and finds that id again', () => {
    const issued = newRefreshToken();
    expect(issued.token).toMatch(/^[0-9a-f]{12}7[0-9a-f]{19}\.[\w-]{43}$/);
    expect(issued.key.hash).toBe(hashToken(issued.token));
    expect(refreshTokenKey(issued.token)).toEqual(issued.key);
  });

  it('gives an id-less token of the earlier format a hash-only key', () => {
    const legacy = newOpaqueToken();
    expect(refreshTokenKey(legacy)).toEqual({ id: null, hash: hashToken(legacy) });
  });

  it('takes no id from a string that only looks like a token', () => {
    const issued = newRefreshToken();
    for (const almost of [`${issued.token}x`, ` ${issued.token}`, issued.token.toUpperCase()])
      expect(refreshTokenKey(almost).id).toBeNull();
  });
});
