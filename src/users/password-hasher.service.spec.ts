import { availableParallelism } from 'node:os';
import { loadConfig } from '../config/app-config';
import { PasswordHasher, QUEUED_PER_CORE } from './password-hasher.service';

const PRODUCTION_HASH = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/;

describe('PasswordHasher parameters', () => {
  it('hashes with argon2id m=19 MiB, t=2, p=1 unless the test-only setting is on', async () => {
    for (const hasher of [
      new PasswordHasher(),
      new PasswordHasher(loadConfig({})),
      new PasswordHasher(loadConfig({ NODE_ENV: 'production' })),
      new PasswordHasher(loadConfig({ NODE_ENV: 'test' })),
    ]) {
      await expect(hasher.hash('correct horse battery staple')).resolves.toMatch(PRODUCTION_HASH);
    }
  });

  it('TEST_CHEAP_PASSWORD_HASHING: cheap argon2id that production rehashes at the next login', async () => {
    const cheap = new PasswordHasher(
      loadConfig({ NODE_ENV: 'test', TEST_CHEAP_PASSWORD_HASHING: 'true' }),
    );
    const production = new PasswordHasher();
    const cheapHash = await cheap.hash('correct horse battery staple');
    expect(cheapHash).toMatch(/^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
    await expect(cheap.verify(cheapHash, 'correct horse battery staple')).resolves.toBe(true);
    await expect(cheap.verify(cheapHash, 'Correct horse battery staple')).resolves.toBe(false);
    expect(cheap.needsRehash(cheapHash)).toBe(false);
    expect(production.needsRehash(cheapHash)).toBe(true);
    const productionHash = await production.hash('correct horse battery staple');
    expect(production.needsRehash(productionHash)).toBe(false);
    expect(cheap.needsRehash(productionHash)).toBe(false);
  });
});

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
