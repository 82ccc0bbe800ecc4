import type { AlertView } from '../alert-view';
import { alertEmailText } from './email-alert.channel';

function makeAlert(overrides: Partial<AlertView> = {}): AlertView {
  return {
    id: 'alert-1',
    userId: 'user-1',
    rule: 'device.new_sign_in',
    severity: 'medium',
    status: 'open',
    title: 'Sign-in from a new device: Phone',
    ip: '203.0.113.9',
    evidenceEventIds: ['event-1'],
    occurrences: 1,
    firstSeenAt: '2026-11-26T12:00:00.000Z',
    lastSeenAt: '2026-11-26T12:00:00.000Z',
    createdAt: '2026-11-26T12:00:00.000Z',
    statusChangedAt: null,
    statusChangedBy: null,
    ...overrides,
  };
}

describe('alert email text', () => {
  it('names what happened, when and from where, and what to do', () => {
    const text = alertEmailText(makeAlert(), 'https://auth.example.com/account/security');
    expect(text).toContain('Sign-in from a new device: Phone');
    expect(text).toContain('When: 2026-11-26T12:00:00.000Z');
    expect(text).toContain('From IP address: 203.0.113.9');
    expect(text).toContain('https://auth.example.com/account/security');
  });

  it('keeps a title with line breaks on one line and leaves out a missing IP', () => {
    const text = alertEmailText(
      makeAlert({ title: 'New device:\r\nBcc: someone', ip: null }),
      'https://a.example',
    );
    expect(text).toContain('  New device: Bcc: someone\n');
    expect(text).not.toContain('From IP address');
  });
});
