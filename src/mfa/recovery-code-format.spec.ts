import {
  newRecoveryCode,
  normalizeRecoveryCode,
  RECOVERY_CODE_SYMBOLS,
} from './recovery-code-format';

describe('recovery code format', () => {
  it('makes xxxxx-xxxxx codes of 10 Crockford base32 symbols (50 bits)', () => {
    const codes = Array.from({ length: 2000 }, () => newRecoveryCode());
    codes.forEach((code) => expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$/));
    expect(new Set(codes).size).toBe(codes.length);
    // Every one of the 32 symbols turns up: 5 bits per symbol, not fewer.
    const symbols = new Set(codes.join('').replace(/-/g, ''));
    expect(symbols.size).toBe(32);
    expect(RECOVERY_CODE_SYMBOLS * Math.log2(symbols.size)).toBeGreaterThanOrEqual(50);
  });

  it('reads a code however it was typed, and o, i, l as the digits people meant', () => {
    expect(normalizeRecoveryCode('ab1cd-ef0gh')).toBe('ab1cdef0gh');
    expect(normalizeRecoveryCode(' AB1CD EF0GH ')).toBe('ab1cdef0gh');
    expect(normalizeRecoveryCode('abicd-efogh')).toBe('ab1cdef0gh');
    expect(normalizeRecoveryCode('ablcdefogh')).toBe('ab1cdef0gh');
  });

  it('refuses what cannot be a code', () => {
    expect(normalizeRecoveryCode('abcd-efgh')).toBeUndefined();
    expect(normalizeRecoveryCode('abcde-fghjkm')).toBeUndefined();
    expect(normalizeRecoveryCode('abcde-fghu1')).toBeUndefined(); // u is not in the alphabet
    expect(normalizeRecoveryCode('x'.repeat(10_000))).toBeUndefined();
  });
});
