import { generate } from 'otplib';
import { AppException } from '../src/common/app.exception';
import { TransactionRunner } from '../src/events/transaction-runner.service';
import { MFA_TOKEN_TTL_MS, MfaTokenService } from '../src/mfa/mfa-token.service';
import { MfaExpiryPruner } from '../src/mfa/mfa-expiry-pruner.service';
import { MfaService } from '../src/mfa/mfa.service';
import { CHALLENGE_TTL_MS } from '../src/mfa/passkeys.service';
import { register } from './support/auth-client';
import { SoftAuthenticator } from './support/soft-authenticator';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * The mfa module's building blocks on a real database (embedded, or PostgreSQL with
 * DATABASE_URL): TOTP, recovery codes, passkeys through a software authenticator, mfaTokens,
 * and the events they leave. Not yet wired into login, so the services are called directly.
 */
describe('second factors (mfa module) on a real database', () => {
  let t: TestApp;
  let sut: MfaService;
  const meta = { ip: '203.0.113.7', userAgent: 'TesseraTest/1.0' };

  beforeAll(async () => {
    t = await createTestApp();
    sut = t.app.get(MfaService);
  });
  afterAll(async () => {
    await t.close();
  });

  /** Puts the clock 1 s into a fresh 30 s time step, so codes do not straddle a boundary. */
  function startOfNextStep(): void {
    t.clock.set(Math.floor(t.clock.nowMs() / 30_000) * 30_000 + 31_000);
  }

  function codeAt(secret: string, offsetSteps = 0): Promise<string> {
    return generate({ secret, epoch: Math.floor(t.clock.nowMs() / 1000) + offsetSteps * 30 });
  }

  async function rejection(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof AppException) return error.code;
      throw error;
    }
    throw new Error('expected a rejection');
  }

  async function eventsOf(
    userId: string,
  ): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
    const rows = await t.dataSource.query<Array<{ payload: { type: string; data: never } }>>(
      `SELECT payload FROM outbox_events WHERE payload->>'userId' = $1 ORDER BY seq`,
      [userId],
    );
    return rows.map((row) => ({ type: row.payload.type, data: row.payload.data }));
  }

  async function userWithTotp(): Promise<{ id: string; secret: string; recoveryCodes: string[] }> {
    const user = await register(t);
    const { secret } = await sut.beginTotpEnrollment(user.id);
    startOfNextStep();
    const { recoveryCodes } = await sut.confirmTotp(user.id, await codeAt(secret), meta);
    t.clock.advance(30_000); // the confirming code's step is spent
    return { id: user.id, secret, recoveryCodes };
  }

  describe('TOTP', () => {
    it('enrols with a sealed secret and an otpauth URI, and confirms with a code', async () => {
      const user = await register(t);
      const enrollment = await sut.beginTotpEnrollment(user.id);
      expect(enrollment.secret).toMatch(/^[A-Z2-7]{32}$/);
      const uri = new URL(enrollment.otpauthUri);
      expect(uri.protocol).toBe('otpauth:');
      expect(uri.host).toBe('totp');
      expect(decodeURIComponent(uri.pathname)).toBe(`/Tessera:${user.email}`);
      expect(uri.searchParams.get('issuer')).toBe('Tessera');
      expect(uri.searchParams.get('secret')).toBe(enrollment.secret);

      const [row] = await t.dataSource.query<Array<{ secret_sealed: string }>>(
        'SELECT secret_sealed FROM totp_factors WHERE user_id = $1',
        [user.id],
      );
      expect(row.secret_sealed).toMatch(/^v1\./);
      expect(row.secret_sealed).not.toContain(enrollment.secret);
      expect(await sut.methods(user.id)).toEqual([]); // pending is not a factor

      startOfNextStep();
      expect(await rejection(sut.confirmTotp(user.id, '000000', meta))).toBe('mfa_invalid');
      const { recoveryCodes } = await sut.confirmTotp(
        user.id,
        await codeAt(enrollment.secret),
        meta,
      );
      expect(recoveryCodes).toHaveLength(10);
      expect(new Set(recoveryCodes).size).toBe(10);
      recoveryCodes.forEach((code) => expect(code).toMatch(/^[0-9a-z]{5}-[0-9a-z]{5}$/));
      expect(await sut.methods(user.id)).toEqual(['totp', 'recovery_code']);
      expect(await sut.hasSecondFactor(user.id)).toBe(true);
      expect(await sut.status(user.id)).toEqual({
        totp: true,
        passkeys: [],
        recoveryCodesLeft: 10,
      });
      expect(await rejection(sut.beginTotpEnrollment(user.id))).toBe('validation_failed');
    });

    it('accepts a code once, within ±1 step, and never an older step', async () => {
      const { id, secret } = await userWithTotp();
      const code = await codeAt(secret);
      expect(await sut.verifySecondFactor(id, 'totp', code, meta)).toEqual(['otp']);
      expect(await rejection(sut.verifySecondFactor(id, 'totp', code, meta))).toBe('mfa_invalid');

      t.clock.advance(60_000); // two steps later: the next step's code (+1) is accepted …
      expect(await sut.verifySecondFactor(id, 'totp', await codeAt(secret, 1), meta)).toEqual([
        'otp',
      ]);
      // … after which the current step's code is older than the last one used.
      const current = await codeAt(secret);
      expect(await rejection(sut.verifySecondFactor(id, 'totp', current, meta))).toBe(
        'mfa_invalid',
      );
      t.clock.advance(90_000);
      const twoBack = await codeAt(secret, -2);
      expect(await rejection(sut.verifySecondFactor(id, 'totp', twoBack, meta))).toBe(
        'mfa_invalid',
      );
      const failures = (await eventsOf(id)).filter((e) => e.type === 'mfa.challenge_failed');
      expect(failures.map((e) => e.data)).toEqual([
        { method: 'totp', reason: 'replayed_code' },
        { method: 'totp', reason: 'replayed_code' },
        { method: 'totp', reason: 'invalid_code' },
      ]);
    });

    it('lets only one of two racing requests with the same code pass', async () => {
      const { id, secret } = await userWithTotp();
      const code = await codeAt(secret);
      const outcomes = await Promise.allSettled([
        sut.verifySecondFactor(id, 'totp', code, meta),
        sut.verifySecondFactor(id, 'totp', code, meta),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    });

    it('disables TOTP, and the recovery codes with it when no factor remains', async () => {
      const { id, recoveryCodes } = await userWithTotp();
      await sut.disableTotp(id, meta);
      expect(await sut.status(id)).toEqual({ totp: false, passkeys: [], recoveryCodesLeft: 0 });
      expect(
        await rejection(sut.verifySecondFactor(id, 'recovery_code', recoveryCodes[0], meta)),
      ).toBe('mfa_invalid');
      expect(await rejection(sut.disableTotp(id, meta))).toBe('not_found');
      const types = (await eventsOf(id)).map((e) => e.type);
      expect(types).toEqual(expect.arrayContaining(['mfa.enrolled', 'mfa.disabled']));
    });
  });

  describe('recovery codes', () => {
    it('accepts each code once, in any case and grouping, and counts what is left', async () => {
      const { id, recoveryCodes } = await userWithTotp();
      const typed = recoveryCodes[3].toUpperCase().replace('-', ' ');
      expect(await sut.verifySecondFactor(id, 'recovery_code', typed, meta)).toEqual(['otp']);
      expect(
        await rejection(sut.verifySecondFactor(id, 'recovery_code', recoveryCodes[3], meta)),
      ).toBe('mfa_invalid');
      expect((await sut.status(id)).recoveryCodesLeft).toBe(9);
      const used = (await eventsOf(id)).filter((e) => e.type === 'mfa.recovery_code_used');
      expect(used.map((e) => e.data)).toEqual([{ remaining: 9 }]);
    });

    it('stores only keyed hashes, and a new set replaces the old one', async () => {
      const { id, recoveryCodes } = await userWithTotp();
      const rows = await t.dataSource.query<Array<{ code_hash: string }>>(
        'SELECT code_hash FROM recovery_codes WHERE user_id = $1',
        [id],
      );
      expect(rows).toHaveLength(10);
      const stored = JSON.stringify(rows);
      recoveryCodes.forEach((code) => expect(stored).not.toContain(code.replace('-', '')));

      const fresh = await sut.regenerateRecoveryCodes(id, meta);
      expect(fresh).toHaveLength(10);
      expect(
        await rejection(sut.verifySecondFactor(id, 'recovery_code', recoveryCodes[0], meta)),
      ).toBe('mfa_invalid');
      expect(await sut.verifySecondFactor(id, 'recovery_code', fresh[0], meta)).toEqual(['otp']);
    });

    it('lets only one of two racing requests with the same code pass', async () => {
      const { id, recoveryCodes } = await userWithTotp();
      const outcomes = await Promise.allSettled([
        sut.verifySecondFactor(id, 'recovery_code', recoveryCodes[0], meta),
        sut.verifySecondFactor(id, 'recovery_code', recoveryCodes[0], meta),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    });
  });

  describe('passkeys (software authenticator, real signatures)', () => {
    const origin = (): string => t.config.webauthn.origins[0];

    async function userWithPasskey(
      options: ConstructorParameters<typeof SoftAuthenticator>[1] = {},
    ): Promise<{ id: string; authenticator: SoftAuthenticator; credentialId: string }> {
      const user = await register(t);
      const authenticator = new SoftAuthenticator(origin(), options);
      const creation = await sut.passkeyRegistrationOptions(user.id);
      const view = await sut.addPasskey(
        user.id,
        authenticator.createCredential(creation),
        { name: 'Laptop' },
        meta,
      );
      return { id: user.id, authenticator, credentialId: view.id };
    }

    it('registers a discoverable, user-verified passkey with none attestation', async () => {
      const user = await register(t);
      const creation = await sut.passkeyRegistrationOptions(user.id);
      expect(creation.rp).toEqual({ name: 'Tessera', id: 'localhost' });
      expect(creation.attestation).toBe('none');
      expect(creation.authenticatorSelection).toMatchObject({
        residentKey: 'required',
        userVerification: 'required',
      });
      const authenticator = new SoftAuthenticator(origin());
      const view = await sut.addPasskey(
        user.id,
        authenticator.createCredential(creation),
        { name: ' My laptop ' },
        meta,
      );
      expect(view).toMatchObject({
        id: authenticator.credentialIds[0],
        name: 'My laptop',
        deviceType: 'singleDevice',
        backedUp: false,
        lastUsedAt: null,
      });
      expect(await sut.methods(user.id)).toEqual(['webauthn']);
      const next = await sut.passkeyRegistrationOptions(user.id);
      expect(next.excludeCredentials?.map((c) => c.id)).toEqual([view.id]);
      const added = (await eventsOf(user.id)).find((e) => e.type === 'passkey.added');
      expect(added?.data).toEqual({
        credentialId: view.id,
        name: 'My laptop',
        deviceType: 'singleDevice',
        backedUp: false,
      });
    });

    it('refuses a registration with a spent challenge or from a wrong origin', async () => {
      const user = await register(t);
      const authenticator = new SoftAuthenticator(origin());
      const creation = await sut.passkeyRegistrationOptions(user.id);
      const phished = authenticator.createCredential(creation, {
        origin: 'https://evil.example',
      });
      expect(await rejection(sut.addPasskey(user.id, phished, {}, meta))).toBe('validation_failed');
      // The challenge went with the failed attempt.
      const retry = new SoftAuthenticator(origin()).createCredential(creation);
      expect(await rejection(sut.addPasskey(user.id, retry, {}, meta))).toBe('validation_failed');
      expect((await sut.status(user.id)).passkeys).toEqual([]);
    });

    it('verifies an assertion as a second factor and records the use', async () => {
      const { id, authenticator, credentialId } = await userWithPasskey();
      const options = await sut.passkeyAuthenticationOptions({
        purpose: 'authentication',
        userId: id,
      });
      expect(options.userVerification).toBe('required');
      expect(options.allowCredentials?.map((c) => c.id)).toEqual([credentialId]);
      const result = await sut.verifyPasskey(
        authenticator.getAssertion(options),
        { purpose: 'authentication', userId: id },
        meta,
      );
      expect(result).toEqual({ userId: id, credentialId, deviceId: null, amr: ['hwk'] });
      const [row] = await t.dataSource.query<
        Array<{ sign_count: string; last_used_at: Date | null }>
      >('SELECT sign_count, last_used_at FROM webauthn_credentials WHERE id = $1', [credentialId]);
      expect(Number(row.sign_count)).toBe(1);
      expect(new Date(row.last_used_at ?? 0).getTime()).toBe(t.clock.nowMs());
    });

    it('signs in passwordless with a discoverable credential (no allowCredentials)', async () => {
      const { id, authenticator } = await userWithPasskey({ synced: true, counterStep: 0 });
      const options = await sut.passkeyAuthenticationOptions({ purpose: 'authentication' });
      expect(options.allowCredentials).toBeUndefined();
      const result = await sut.verifyPasskey(
        authenticator.getAssertion(options),
        { purpose: 'authentication' },
        meta,
      );
      expect(result.userId).toBe(id);
      expect(result.amr).toEqual(['swk']); // synced (backup eligible): software-protected key
    });

    it('refuses a replayed assertion (same challenge)', async () => {
      const { id, authenticator } = await userWithPasskey();
      const expectation = { purpose: 'authentication' as const, userId: id };
      const assertion = authenticator.getAssertion(
        await sut.passkeyAuthenticationOptions(expectation),
      );
      await sut.verifyPasskey(assertion, expectation, meta);
      expect(await rejection(sut.verifyPasskey(assertion, expectation, meta))).toBe('mfa_invalid');
      const failed = (await eventsOf(id)).filter((e) => e.type === 'mfa.challenge_failed');
      expect(failed.map((e) => e.data)).toEqual([
        { method: 'webauthn', reason: 'assertion_refused' },
      ]);
    });

    it('refuses an assertion for a wrong origin, and the challenge is spent by it', async () => {
      const { id, authenticator } = await userWithPasskey();
      const expectation = { purpose: 'authentication' as const, userId: id };
      const options = await sut.passkeyAuthenticationOptions(expectation);
      const phished = authenticator.getAssertion(options, { origin: 'https://evil.example' });
      expect(await rejection(sut.verifyPasskey(phished, expectation, meta))).toBe('mfa_invalid');
      const honest = authenticator.getAssertion(options);
      expect(await rejection(sut.verifyPasskey(honest, expectation, meta))).toBe('mfa_invalid');
    });

    it('refuses an assertion signed for a wrong rp id', async () => {
      const { id, authenticator } = await userWithPasskey();
      const expectation = { purpose: 'authentication' as const, userId: id };
      const options = await sut.passkeyAuthenticationOptions(expectation);
      const assertion = authenticator.getAssertion(options, { rpId: 'evil.example' });
      expect(await rejection(sut.verifyPasskey(assertion, expectation, meta))).toBe('mfa_invalid');
    });

    it('refuses a counter that did not increase (a cloned authenticator)', async () => {
      const { id, authenticator } = await userWithPasskey();
      const expectation = { purpose: 'authentication' as const, userId: id };
      const first = await sut.passkeyAuthenticationOptions(expectation);
      await sut.verifyPasskey(authenticator.getAssertion(first, { counter: 5 }), expectation, meta);
      const second = await sut.passkeyAuthenticationOptions(expectation);
      const cloned = authenticator.getAssertion(second, { counter: 5 });
      expect(await rejection(sut.verifyPasskey(cloned, expectation, meta))).toBe('mfa_invalid');
    });

    it('refuses an expired challenge, another user, and a step-up challenge used for login', async () => {
      const { id, authenticator } = await userWithPasskey();
      const other = await userWithPasskey();
      const expectation = { purpose: 'authentication' as const, userId: id };

      const late = await sut.passkeyAuthenticationOptions(expectation);
      t.clock.advance(CHALLENGE_TTL_MS + 1000);
      expect(
        await rejection(sut.verifyPasskey(authenticator.getAssertion(late), expectation, meta)),
      ).toBe('mfa_invalid');

      // A challenge issued for this user, answered with another user's passkey.
      const mine = await sut.passkeyAuthenticationOptions(expectation);
      const foreign = other.authenticator.getAssertion({ ...mine, allowCredentials: [] });
      expect(await rejection(sut.verifyPasskey(foreign, expectation, meta))).toBe('mfa_invalid');

      const stepUp = await sut.passkeyAuthenticationOptions({ purpose: 'step_up', userId: id });
      expect(
        await rejection(sut.verifyPasskey(authenticator.getAssertion(stepUp), expectation, meta)),
      ).toBe('mfa_invalid');
    });

    it('renames and removes a passkey; another user cannot', async () => {
      const { id, credentialId } = await userWithPasskey();
      const stranger = await register(t);
      await sut.renamePasskey(id, credentialId, 'Work key');
      expect((await sut.status(id)).passkeys.map((p) => p.name)).toEqual(['Work key']);
      expect(await rejection(sut.removePasskey(stranger.id, credentialId, meta))).toBe('not_found');
      await sut.removePasskey(id, credentialId, meta);
      expect(await sut.methods(id)).toEqual([]);
      const removed = (await eventsOf(id)).find((e) => e.type === 'passkey.removed');
      expect(removed?.data).toEqual({ credentialId, name: 'Work key' });
    });
  });

  describe('mfaToken', () => {
    it('is stored as a hash, bound to the login, single use and short lived', async () => {
      const tokens = t.app.get(MfaTokenService);
      const runner = t.app.get(TransactionRunner);
      const user = await register(t);
      const input = {
        userId: user.id,
        transport: 'cookie' as const,
        rememberMe: true,
        device: { id: 'phone-1', name: 'Phone' },
        ip: meta.ip,
        userAgent: meta.userAgent,
        firstFactorAmr: ['pwd' as const],
      };
      const issued = await runner.run((tx) => tokens.issue(tx, input));
      expect(issued.expiresIn).toBe(300);
      expect(Buffer.from(issued.mfaToken, 'base64url')).toHaveLength(32);
      const stored = await t.dataSource.query<Array<{ token_hash: string }>>(
        'SELECT token_hash FROM mfa_login_tokens WHERE user_id = $1',
        [user.id],
      );
      expect(stored).toHaveLength(1);
      expect(stored[0].token_hash).not.toContain(issued.mfaToken);

      const { expiresAt: _expiresAt, ...bound } = await tokens.peek(issued.mfaToken);
      expect(bound).toEqual(input);
      expect((await tokens.consume(issued.mfaToken)).userId).toBe(user.id);
      expect(await rejection(tokens.consume(issued.mfaToken))).toBe('mfa_token_invalid');
      expect(await rejection(tokens.peek(issued.mfaToken))).toBe('mfa_token_invalid');

      const late = await runner.run((tx) => tokens.issue(tx, input));
      t.clock.advance(MFA_TOKEN_TTL_MS);
      expect(await rejection(tokens.consume(late.mfaToken))).toBe('mfa_token_invalid');
      expect(await rejection(tokens.consume('not-a-token'))).toBe('mfa_token_invalid');
    });
  });

  it('purges expired challenges and mfaTokens, and keeps live ones', async () => {
    const runner = t.app.get(TransactionRunner);
    const tokens = t.app.get(MfaTokenService);
    const user = await register(t);
    const input = {
      userId: user.id,
      transport: 'header' as const,
      rememberMe: false,
      firstFactorAmr: ['pwd' as const],
    };
    await runner.run((tx) => tokens.issue(tx, input));
    await sut.passkeyAuthenticationOptions({ purpose: 'authentication' });
    t.clock.advance(Math.max(MFA_TOKEN_TTL_MS, CHALLENGE_TTL_MS) + 1000);
    const live = await runner.run((tx) => tokens.issue(tx, input));
    // A batch of one: the pruner must loop until both tables are clean.
    expect(await t.app.get(MfaExpiryPruner).prune(1)).toBeGreaterThanOrEqual(2);
    expect((await tokens.peek(live.mfaToken)).userId).toBe(user.id);
    const [left] = await t.dataSource.query<Array<{ tokens: number; challenges: number }>>(
      `SELECT (SELECT count(*)::int FROM mfa_login_tokens WHERE expires_at < $1) AS tokens,
              (SELECT count(*)::int FROM webauthn_challenges WHERE expires_at < $1) AS challenges`,
      [t.clock.now()],
    );
    expect(left).toEqual({ tokens: 0, challenges: 0 });
  });

  it('records a step-up with its method and amr', async () => {
    const user = await register(t);
    const runner = t.app.get(TransactionRunner);
    await runner.run((tx) =>
      sut.recordStepUp(tx, { userId: user.id, ...meta }, 'totp', ['pwd', 'otp', 'mfa']),
    );
    const stepUp = (await eventsOf(user.id)).find((e) => e.type === 'auth.step_up');
    expect(stepUp?.data).toEqual({ method: 'totp', amr: ['pwd', 'otp', 'mfa'] });
  });

  it('admin reset removes every factor and audits the actor', async () => {
    const { id } = await userWithTotp();
    const runner = t.app.get(TransactionRunner);
    const actorId = '00000000-0000-0000-0000-000000000000';
    await runner.run((tx) => sut.resetAll(tx, id, actorId));
    expect(await sut.status(id)).toEqual({ totp: false, passkeys: [], recoveryCodesLeft: 0 });
    const disabled = (await eventsOf(id)).find((e) => e.type === 'mfa.disabled');
    expect(disabled?.data).toEqual({ method: 'all', actorId });
  });

  it('never writes a TOTP secret, a code or a recovery code into an event', async () => {
    const { id, secret, recoveryCodes } = await userWithTotp();
    const code = await codeAt(secret);
    await sut.verifySecondFactor(id, 'totp', code, meta);
    await sut.verifySecondFactor(id, 'recovery_code', recoveryCodes[0], meta);
    await rejection(sut.verifySecondFactor(id, 'totp', code, meta));
    await rejection(sut.verifySecondFactor(id, 'recovery_code', 'zzzzz-zzzzz', meta));
    await sut.regenerateRecoveryCodes(id, meta);
    const payloads = JSON.stringify(
      await t.dataSource.query(`SELECT payload FROM outbox_events WHERE payload->>'userId' = $1`, [
        id,
      ]),
    );
    expect(payloads).toContain('mfa.recovery_code_used');
    for (const secretText of [secret, code, 'zzzzz', ...recoveryCodes]) {
      expect(payloads).not.toContain(secretText);
      expect(payloads).not.toContain(secretText.replace('-', ''));
    }
  });
});
