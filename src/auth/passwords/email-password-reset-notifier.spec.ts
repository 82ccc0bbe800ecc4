import { resetEmailText, resetLink } from './email-password-reset-notifier';

describe('reset email', () => {
  it('puts the token in the fragment of the configured page', () => {
    expect(resetLink('https://app.example.com/account/reset', 'abc_DEF-123')).toBe(
      'https://app.example.com/account/reset#token=abc_DEF-123',
    );
  });

  it('says when the link expires and what to do if it was not you', () => {
    const now = new Date('2026-11-26T12:00:00Z');
    const text = resetEmailText(
      'https://x.example/r#token=t',
      new Date('2026-11-26T12:30:00Z'),
      now,
    );
    expect(text).toContain('\nhttps://x.example/r#token=t\n');
    expect(text).toContain('expires in 30 minutes (2026-11-26T12:30:00.000Z)');
    expect(text).toMatch(/did not ask for this, ignore this email/);
  });
});
