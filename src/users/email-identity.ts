import { createRequire } from 'node:module';
import { AppException } from '../common/app.exception';

/** The users.email and users.email_normalized column length (RFC 5321 path limit). */
export const EMAIL_MAX_LENGTH = 254;

/**
 * Unicode's confusables.txt (UTS #39 "Recommended confusable mapping for IDN"), as shipped by
 * the unhomoglyph package (nodeca, MIT; pinned): one code point → its prototype string.
 */
const CONFUSABLES = createRequire(__filename)('unhomoglyph/data.json') as Readonly<
  Record<string, string>
>;

/**
 * Characters that are invisible or reorder text: default-ignorable code points (zero-width
 * space/joiners, soft hyphen, variation selectors, tag characters …), bidi controls (RLO, LRI …)
 * and C0/C1 controls. In an email they only serve to make two addresses look alike.
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Bidi_Control}\p{Cc}]/u;

/** The unique login key: NFKC, trimmed, lower-cased. */
export function normalizeEmailKey(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

/**
 * The UTS #39 skeleton: NFD, each code point replaced by its confusable prototype, NFD again.
 * Two strings that look alike ("paypal" with a Latin or a Cyrillic "а") have the same skeleton.
 */
export function confusableSkeleton(text: string): string {
  let out = '';
  for (const char of text.normalize('NFD')) out += CONFUSABLES[char] ?? char;
  return out.normalize('NFD');
}

/** The skeleton users.email_skeleton holds: of the normalised login key. */
export function emailSkeleton(email: string): string {
  return confusableSkeleton(normalizeEmailKey(email));
}

function invalid(message: string): AppException {
  return new AppException('validation_failed', `The email address ${message}`, {
    errors: [{ field: 'email', messages: [message] }],
  });
}

/**
 * Refuses what look-alike and overflow attacks need: invisible or bidi characters, and an
 * address that grows past the column under NFKC ("ﬀ" → "ff", "ﷺ" → 18 characters), which the
 * DTO's length check (on the raw input) cannot see.
 */
export function assertAcceptableEmail(email: string): void {
  if (INVISIBLE.test(email))
    throw invalid('must not contain invisible, zero-width or text-direction characters');
  if (email.normalize('NFKC').trim().length > EMAIL_MAX_LENGTH)
    throw invalid(`must be at most ${EMAIL_MAX_LENGTH} characters after normalisation`);
}
