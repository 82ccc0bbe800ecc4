import { ManualClock } from '../../common/clock';
import type { JwtAlgorithm } from '../../config/app-config';
import { retirementTime, SigningKeySet, type TimedKey } from './signing-key-set';

const MINUTE = 60_000;
const T0 = Date.UTC(2030, 0, 1);

function key(kid: string, fields: Partial<TimedKey> = {}): TimedKey {
  const alg: JwtAlgorithm = fields.alg ?? 'ES256';
  return {
    kid,
    alg,
    publicJwk: { kid, alg, use: 'sig', kty: 'EC' },
    privateKey: {},
    createdAtMs: T0,
    signFromMs: T0,
    retireAfterMs: null,
    ...fields,
  };
}

/** old signed from T0; new was published at T0 + 10 min and signs 5 min later. */
function rotated(): { clock: ManualClock; set: SigningKeySet<TimedKey>; retireAt: number } {
  const signFrom = T0 + 15 * MINUTE;
  const retireAt = retirementTime(signFrom, 15 * MINUTE, 30_000);
  const set = new SigningKeySet<TimedKey>(
    [
      key('new', { createdAtMs: T0 + 10 * MINUTE, signFromMs: signFrom }),
      key('old', { retireAfterMs: retireAt }),
    ],
    'ES256',
  );
  return { clock: new ManualClock(T0 + 10 * MINUTE), set, retireAt };
}

describe('SigningKeySet', () => {
  it('publishes a pending key at once but signs with the old one until its signFrom', () => {
    const { clock, set } = rotated();
    expect(set.signer(clock.nowMs())?.kid).toBe('old');
    expect(set.published(clock.nowMs()).map((jwk) => jwk.kid)).toEqual(['old', 'new']);
    expect(set.state(set.find('new', clock.nowMs()) as TimedKey, clock.nowMs())).toBe('pending');
    clock.advance(5 * MINUTE - 1);
    expect(set.signer(clock.nowMs())?.kid).toBe('old');
  });

  it('switches to the new key exactly at its signFrom, the old one still verifying', () => {
    const { clock, set } = rotated();
    clock.advance(5 * MINUTE);
    expect(set.signer(clock.nowMs())?.kid).toBe('new');
    const old = set.find('old', clock.nowMs());
    expect(old).toBeDefined();
    expect(set.state(old as TimedKey, clock.nowMs())).toBe('verifying');
  });

  it('retires the old key after its last token has expired (plus leeway), not before', () => {
    const { clock, set, retireAt } = rotated();
    expect(retireAt).toBe(T0 + 30 * MINUTE + 30_000);
    clock.set(retireAt);
    expect(set.find('old', clock.nowMs())).toBeDefined();
    clock.advance(1);
    expect(set.find('old', clock.nowMs())).toBeUndefined();
    expect(set.published(clock.nowMs()).map((jwk) => jwk.kid)).toEqual(['new']);
    expect(set.state(set.all()[0], clock.nowMs())).toBe('retired');
  });

  it('never signs with a key of another algorithm or one it cannot open', () => {
    const clock = new ManualClock(T0);
    const set = new SigningKeySet<TimedKey>(
      [
        key('rsa', { alg: 'RS256', signFromMs: T0 - 1 }),
        key('sealed', { signFromMs: T0 - 2, privateKey: undefined }),
        key('ec', { signFromMs: T0 - 3 }),
      ],
      'ES256',
    );
    expect(set.signer(clock.nowMs())?.kid).toBe('ec');
    // All three still verify: an algorithm change must not log anyone out.
    expect(set.find('rsa', clock.nowMs())?.alg).toBe('RS256');
    expect(set.find('sealed', clock.nowMs())).toBeDefined();
  });

  it('treats kid as lookup input only', () => {
    const { clock, set } = rotated();
    for (const kid of [undefined, 42, {}, '__proto__', 'constructor'])
      expect(set.find(kid, clock.nowMs())).toBeUndefined();
  });
});
