import { randomBytes } from 'node:crypto';
import { BreachedPasswordChecker } from './breached-password-checker';
import { commonPasswords, isCommonPassword } from './common-password-list';
import { NistPasswordPolicy } from './password-policy';

const context = { email: 'alice.smith@example.com', displayName: 'Alice Smith' };

describe('common-password list', () => {
  it('holds at least 100,000 entries, loaded once', () => {
    const list = commonPasswords();
    expect(list.size).toBeGreaterThanOrEqual(100_000);
    expect(commonPasswords()).toBe(list);
  });

  it.each(['password1234', 'qwertyuiop123', 'iloveyou2024', 'PASSWORD1234', 'sunshine1987'])(
    'refuses %s (issue 10: these passed the ~160-entry list)',
    (password) => {
      expect(isCommonPassword(password)).toBe(true);
      expect(new NistPasswordPolicy().check(password, context)).toEqual([
        expect.stringContaining('too common'),
      ]);
    },
  );

  it('compares in NFKC lower-cased form (full-width letters are no disguise)', () => {
    expect(isCommonPassword('ｐａｓｓｗｏｒｄ１２３４')).toBe(true);
  });

  it('accepts a random strong password and looks it up quickly', () => {
    const strong = randomBytes(18).toString('base64url');
    expect(new NistPasswordPolicy().check(strong, context)).toEqual([]);
    const started = performance.now();
    for (let i = 0; i < 10_000; i += 1) isCommonPassword(`${strong}${i}`);
    // Generous for a loaded CI machine; a Set lookup is well under a microsecond.
    expect((performance.now() - started) / 10_000).toBeLessThan(0.1);
  });
});

describe('BreachedPasswordChecker hook', () => {
  class ListChecker extends BreachedPasswordChecker {
    readonly asked: string[] = [];
    constructor(private readonly breached: string[]) {
      super();
    }
    isBreached(password: string): Promise<boolean> {
      this.asked.push(password);
      return Promise.resolve(this.breached.includes(password));
    }
  }

  it('honours the checker: a breached password is refused, others pass', async () => {
    const checker = new ListChecker(['Tr0ub4dour&3-horse']);
    const policy = new NistPasswordPolicy(8, 128, checker);
    expect(await policy.toFieldErrors('password', 'Tr0ub4dour&3-horse', context)).toEqual([
      { field: 'password', messages: [expect.stringContaining('data breach')] },
    ]);
    expect(await policy.toFieldErrors('password', 'correct horse battery staple', context)).toEqual(
      [],
    );
  });

  it('is asked with the NFKC form, and only after the local rules pass', async () => {
    const checker = new ListChecker([]);
    const policy = new NistPasswordPolicy(8, 128, checker);
    await policy.toFieldErrors('password', 'ﬁne-grained-passphrase', context);
    await policy.toFieldErrors('password', 'password1234', context);
    expect(checker.asked).toEqual(['fine-grained-passphrase']);
  });

  it('a failing checker does not block the password (treated as unknown)', async () => {
    class DownChecker extends BreachedPasswordChecker {
      isBreached(): Promise<boolean> {
        return Promise.reject(new Error('service down'));
      }
    }
    const policy = new NistPasswordPolicy(8, 128, new DownChecker());
    expect(await policy.toFieldErrors('password', 'correct horse battery staple', context)).toEqual(
      [],
    );
  });
});
