import { NistPasswordPolicy } from './password-policy';

describe('NistPasswordPolicy', () => {
  const policy = new NistPasswordPolicy();
  const context = { email: 'alice.smith@example.com', displayName: 'Alice Smith' };

  it('accepts a long passphrase with no composition rules', () => {
    expect(policy.check('correct horse battery staple', context)).toEqual([]);
    expect(policy.check('all lowercase words', context)).toEqual([]);
  });

  it('enforces 8 to 128 characters, counted after NFKC', () => {
    expect(policy.check('short', context)).toHaveLength(1);
    expect(policy.check('x'.repeat(7) + 'y', context)).toEqual([]);
    expect(policy.check('ab'.repeat(64), context)).toEqual([]);
    expect(policy.check('ab'.repeat(64) + 'c', context)).toHaveLength(1);
    // Emoji count as one character each, not two UTF-16 units.
    expect(policy.check('🔑🌍'.repeat(4), context)).toEqual([]);
    expect(policy.check('🔑🌍'.repeat(3), context)).toHaveLength(1);
  });

  it('refuses common passwords whatever their case', () => {
    expect(policy.check('Password123', context)).toEqual([expect.stringContaining('too common')]);
    expect(policy.check('QWERTYUIOP', context)).toHaveLength(1);
  });

  it('refuses passwords built on the email, the name or the service', () => {
    expect(policy.check('alice.smith2024', context)).toHaveLength(1);
    expect(policy.check('tessera2026', context)).toHaveLength(1);
    expect(policy.check('alicesmith!!', context)).toEqual([]);
  });

  it('refuses a single repeated character', () => {
    expect(policy.check('zzzzzzzzzz', context)).toHaveLength(1);
  });
});
