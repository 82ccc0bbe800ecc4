import { amrForDeviceType, challengeOf } from './passkeys.service';
import { combinedAmr } from './mfa.service';

function clientData(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('passkey helpers', () => {
  it('reads the challenge a client signed, and nothing from malformed input', () => {
    const challenge = 'Xk3r0Qv6d1yJ0s8LmZq4pW';
    expect(challengeOf(clientData({ type: 'webauthn.get', challenge }))).toBe(challenge);
    expect(challengeOf(clientData({ challenge: 'short' }))).toBeUndefined();
    expect(challengeOf(clientData({ challenge: 'has spaces and more than 16' }))).toBeUndefined();
    expect(challengeOf(clientData(null))).toBeUndefined();
    expect(challengeOf('not base64 json')).toBeUndefined();
    expect(challengeOf(42)).toBeUndefined();
    expect(challengeOf('A'.repeat(9000))).toBeUndefined();
  });

  it('reports device-bound keys as hwk and synced passkeys as swk', () => {
    expect(amrForDeviceType('singleDevice')).toBe('hwk');
    expect(amrForDeviceType('multiDevice')).toBe('swk');
  });

  it('combines the factors of a two-step login into one amr with mfa', () => {
    expect(combinedAmr(['pwd'], ['otp'])).toEqual(['pwd', 'otp', 'mfa']);
    expect(combinedAmr(['pwd', 'mfa'], ['hwk', 'mfa'])).toEqual(['pwd', 'mfa', 'hwk']);
  });
});
