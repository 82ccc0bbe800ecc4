import { randomInt } from 'node:crypto';

/**
 * Crockford base32 (lower case): 32 symbols, so 5 bits each, and none of i, l, o, u, which
 * people misread or mistype.
 */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const GROUP = 5;
/** 10 symbols = 50 bits from the CSPRNG: beyond online guessing, which is throttled anyway. */
export const RECOVERY_CODE_SYMBOLS = 10;
export const RECOVERY_CODE_COUNT = 10;

/** A fresh code as shown to the user: `xxxxx-xxxxx`. */
export function newRecoveryCode(): string {
  let code = '';
  for (let i = 0; i < RECOVERY_CODE_SYMBOLS; i += 1) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, GROUP)}-${code.slice(GROUP)}`;
}

/**
 * The canonical form of a typed code (case, spaces and dashes ignored; o read as 0, i and l as
 * 1, as Crockford decoding does), or undefined when it cannot be a code at all.
 */
export function normalizeRecoveryCode(input: string): string | undefined {
  if (input.length > 40) return undefined;
  const code = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  if (code.length !== RECOVERY_CODE_SYMBOLS) return undefined;
  return [...code].every((symbol) => ALPHABET.includes(symbol)) ? code : undefined;
}
