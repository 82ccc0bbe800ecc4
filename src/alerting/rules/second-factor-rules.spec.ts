import { makeLifecycleEvent } from '../../events/lifecycle-event.factory';
import { RecoveryCodeUsedRule } from './recovery-code-used.rule';
import { SecondFactorRemovedRule } from './second-factor-removed.rule';

const ADMIN_ID = '7c0e2f5a-9d4b-4e61-8a37-2b5f1c9e0d44';

describe('SecondFactorRemovedRule', () => {
  const sut = new SecondFactorRemovedRule();

  it('listens to both kinds of removal', () => {
    expect(sut.events).toEqual(['mfa.disabled', 'passkey.removed']);
  });

  it('raises a medium alert naming the passkey the user removed', async () => {
    const draft = await sut.evaluate(
      makeLifecycleEvent('passkey.removed', { credentialId: 'cred-1', name: 'Work key' }),
    );
    expect(draft).toEqual({
      severity: 'medium',
      title: 'A passkey was removed: Work key',
      dedupeKey: 'self:user-1',
    });
  });

  it('raises a medium alert when the user disables TOTP', async () => {
    const draft = await sut.evaluate(makeLifecycleEvent('mfa.disabled', { method: 'totp' }));
    expect(draft).toMatchObject({ severity: 'medium', title: expect.stringContaining('TOTP') });
  });

  it('rates a reset by an administrator high, one alert for all the factors it removed', async () => {
    const reset = [
      makeLifecycleEvent('passkey.removed', { credentialId: 'c', name: 'Key', actorId: ADMIN_ID }),
      makeLifecycleEvent('mfa.disabled', { method: 'all', actorId: ADMIN_ID }),
    ];
    const drafts = await Promise.all(reset.map((event) => sut.evaluate(event)));
    for (const draft of drafts) {
      expect(draft).toEqual({
        severity: 'high',
        title: "An administrator reset the account's second factors",
        dedupeKey: `reset:user-1:${ADMIN_ID}`,
      });
    }
  });

  it('treats an actor who is the user as the user', async () => {
    const draft = await sut.evaluate(
      makeLifecycleEvent('mfa.disabled', { method: 'totp', actorId: 'user-1' }),
    );
    expect(draft?.severity).toBe('medium');
  });
});

describe('RecoveryCodeUsedRule', () => {
  const sut = new RecoveryCodeUsedRule();

  it('raises a medium alert saying how many codes are left', async () => {
    const draft = await sut.evaluate(
      makeLifecycleEvent('mfa.recovery_code_used', { remaining: 7 }),
    );
    expect(draft).toEqual({ severity: 'medium', title: 'A recovery code was used (7 left)' });
  });

  it('ignores other events', async () => {
    await expect(
      sut.evaluate(makeLifecycleEvent('mfa.disabled', { method: 'totp' })),
    ).resolves.toBeUndefined();
  });
});
