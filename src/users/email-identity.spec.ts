import { AppException } from '../common/app.exception';
import { assertAcceptableEmail, confusableSkeleton, emailSkeleton } from './email-identity';

function refusal(email: string): string {
  try {
    assertAcceptableEmail(email);
  } catch (error) {
    expect(error).toBeInstanceOf(AppException);
    expect((error as AppException).code).toBe('validation_failed');
    return (error as AppException).extras.errors?.[0]?.field ?? '';
  }
  throw new Error(`${JSON.stringify(email)} was accepted`);
}

describe('email identity', () => {
  it('gives look-alike addresses one skeleton (UTS #39)', () => {
    const latin = emailSkeleton('paypal@example.com');
    expect(emailSkeleton('p\u0430ypal@example.com')).toBe(latin); // Cyrillic а
    expect(emailSkeleton('PAYPAL@EXAMPLE.COM')).toBe(latin);
    expect(emailSkeleton('\u0440\u0430yp\u0430l@ex\u0430mple.com')).toBe(latin); // р, а
    expect(emailSkeleton('ｐａｙｐａｌ@example.com')).toBe(latin); // full-width
    expect(emailSkeleton('paypa1@example.com')).toBe(latin); // digit one looks like l
    expect(emailSkeleton('paypol@example.com')).not.toBe(latin);
    expect(confusableSkeleton('m')).toBe(confusableSkeleton('rn'));
  });

  it.each([
    ['zero-width space', 'pay\u200bpal@example.com'],
    ['zero-width joiner', 'pay\u200dpal@example.com'],
    ['soft hyphen', 'pay\u00adpal@example.com'],
    ['word joiner', 'pay\u2060pal@example.com'],
    ['BOM', '\ufeffpaypal@example.com'],
    ['right-to-left override', 'pay\u202epal@example.com'],
    ['right-to-left isolate', 'pay\u2067pal@example.com'],
    ['left-to-right mark', 'paypal\u200e@example.com'],
    ['variation selector', 'pa\ufe0fypal@example.com'],
    ['NUL', 'pay\u0000pal@example.com'],
  ])('refuses a %s', (_name, email) => {
    expect(refusal(email)).toBe('email');
  });

  it('checks the length after NFKC, not before', () => {
    // U+FDFA is one character and becomes 18 under NFKC.
    const grows = `${'\ufdfa'.repeat(14)}@example.com`;
    expect(grows.length).toBeLessThan(254);
    expect(refusal(grows)).toBe('email');
    expect(() => assertAcceptableEmail(`${'a'.repeat(242)}@example.com`)).not.toThrow();
  });

  it('accepts ordinary international addresses', () => {
    expect(() => assertAcceptableEmail('jörg.müller@example.de')).not.toThrow();
    expect(() => assertAcceptableEmail('пользователь@example.com')).not.toThrow();
  });
});
