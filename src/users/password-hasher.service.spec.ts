import { availableParallelism } from 'node:os';
import { PasswordHasher, QUEUED_PER_CORE } from './password-hasher.service';

describe('PasswordHasher under overload', () => {
  it('answers 503 service_unavailable (never "wrong password") when argon2 is saturated', async () => {
    const hasher = new PasswordHasher();
    const stored = await hasher.hash('correct horse battery staple');
    const release: Array<() => void> = [];
    const cores = availableParallelism();
    // Occupy every slot and every queue place with work the test finishes itself.
    const blockers = Array.from({ length: (1 + QUEUED_PER_CORE) * cores }, () =>
      hasher.limiter.run(() => new Promise<void>((resolve) => release.push(resolve))),
    );
    await expect(hasher.verify(stored, 'correct horse battery staple')).rejects.toMatchObject({
      code: 'service_unavailable',
      extras: { retryAfterSeconds: 1 },
    });
    await expect(hasher.hash('another password')).rejects.toMatchObject({
      code: 'service_unavailable',
    });
    await expect(hasher.verifyDummy('x')).rejects.toMatchObject({ code: 'service_unavailable' });
    while (release.length > 0 || hasher.limiter.active > 0) {
      release.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(blockers);
    // Capacity is back, and the dummy hash was not cached as a failure.
    await expect(hasher.verify(stored, 'correct horse battery staple')).resolves.toBe(true);
    await expect(hasher.verifyDummy('x')).resolves.toBe(false);
  });
});
