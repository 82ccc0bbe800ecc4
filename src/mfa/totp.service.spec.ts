import { generate } from 'otplib';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../common/clock';
import { SecretBox } from '../common/secret-box';
import { loadConfig } from '../config/app-config';
import type { Tx } from '../events/transaction-runner.service';
import type { UsersService } from '../users/users.service';
import type { RecoveryCodesService } from './recovery-codes.service';
import type { TotpFactorEntity } from './totp-factor.entity';
import type { TotpFactorsRepository } from './totp-factors.repository';
import { TotpService } from './totp.service';

/** The repository's contract in memory (the SQL itself is exercised in test/mfa.e2e-spec.ts). */
class InMemoryTotpFactors {
  readonly rows = new Map<string, TotpFactorEntity>();

  async find(userId: string): Promise<TotpFactorEntity | null> {
    return this.rows.get(userId) ?? null;
  }

  async upsertPending(tx: Tx, userId: string, secretSealed: string): Promise<boolean> {
    if (this.rows.get(userId)?.confirmedAt) return false;
    this.rows.set(userId, {
      userId,
      secretSealed,
      confirmedAt: null,
      lastUsedStep: 0,
      createdAt: tx.now(),
    });
    return true;
  }

  async confirm(tx: Tx, userId: string, step: number): Promise<boolean> {
    const row = this.rows.get(userId);
    if (!row || row.confirmedAt || row.lastUsedStep >= step) return false;
    Object.assign(row, { confirmedAt: tx.now(), lastUsedStep: step });
    return true;
  }

  async spendStep(_tx: Tx, userId: string, step: number): Promise<boolean> {
    const row = this.rows.get(userId);
    if (!row?.confirmedAt || row.lastUsedStep >= step) return false;
    row.lastUsedStep = step;
    return true;
  }

  async delete(_tx: Tx, userId: string): Promise<{ removed: boolean; wasConfirmed: boolean }> {
    const row = this.rows.get(userId);
    this.rows.delete(userId);
    return { removed: row !== undefined, wasConfirmed: Boolean(row?.confirmedAt) };
  }
}

describe('TotpService', () => {
  const userId = '7d6c1a2e-0000-4000-8000-000000000001';
  let clock: ManualClock;
  let repository: InMemoryTotpFactors;
  let sut: TotpService;
  let tx: Tx;

  beforeEach(() => {
    // 1 s into a 30 s step, so ±1 step is exactly ±30 s.
    clock = new ManualClock(Date.UTC(2030, 0, 1, 0, 0, 1));
    repository = new InMemoryTotpFactors();
    const users = { findById: async () => ({ id: userId, email: 'ada@example.com' }) };
    const recoveryCodes = { regenerate: async () => ['aaaaa-bbbbb'] };
    sut = new TotpService(
      repository as unknown as TotpFactorsRepository,
      recoveryCodes as unknown as RecoveryCodesService,
      users as unknown as UsersService,
      new SecretBox([randomBytes(32)]),
      clock,
      loadConfig({ MFA_ISSUER: 'Acme Corp' }),
    );
    tx = { now: () => clock.now(), manager: {} } as unknown as Tx;
  });

  const codeAt = (secret: string, offsetSeconds = 0): Promise<string> =>
    generate({ secret, epoch: Math.floor(clock.nowMs() / 1000) + offsetSeconds });

  async function enrolled(): Promise<string> {
    const { secret } = await sut.beginEnrollment(tx, userId);
    expect(await sut.confirm(tx, userId, await codeAt(secret))).toEqual({
      ok: true,
      recoveryCodes: ['aaaaa-bbbbb'],
    });
    clock.advance(30_000);
    return secret;
  }

  it('begins with a 160-bit base32 seed, sealed, and an otpauth URI with the issuer', async () => {
    const { secret, otpauthUri } = await sut.beginEnrollment(tx, userId);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(otpauthUri).toContain('issuer=Acme%20Corp');
    expect(otpauthUri).toContain(encodeURIComponent('ada@example.com'));
    // SHA-1, 6 digits, 30 s are the otpauth defaults, which apps assume when they are absent.
    expect(otpauthUri).not.toMatch(/algorithm=(?!SHA1)|digits=(?!6)|period=(?!30)/);
    expect(repository.rows.get(userId)?.secretSealed).not.toContain(secret);
    expect(await sut.isEnabled(userId)).toBe(false);
  });

  it('accepts the previous and the next step, not two steps away', async () => {
    const secret = await enrolled();
    clock.advance(60_000); // well past the confirming step, so -1 step is not a replay
    expect(await sut.verify(tx, userId, await codeAt(secret, -60))).toMatchObject({ ok: false });
    expect(await sut.verify(tx, userId, await codeAt(secret, 60))).toMatchObject({ ok: false });
    expect(await sut.verify(tx, userId, await codeAt(secret, -30))).toMatchObject({ ok: true });
    expect(await sut.verify(tx, userId, await codeAt(secret, 30))).toMatchObject({ ok: true });
  });

  it('accepts each step once: a replay, or an older step, is refused as such', async () => {
    const secret = await enrolled();
    const code = await codeAt(secret);
    expect(await sut.verify(tx, userId, code)).toMatchObject({ ok: true });
    expect(await sut.verify(tx, userId, code)).toEqual({ ok: false, reason: 'replayed_code' });
    expect(await sut.verify(tx, userId, await codeAt(secret, -30))).toEqual({
      ok: false,
      reason: 'replayed_code',
    });
  });

  it('takes a code with spaces, refuses malformed ones without trying them', async () => {
    const secret = await enrolled();
    const code = await codeAt(secret);
    for (const bad of ['', '12345', '1234567', 'abcdef', `${code}0`]) {
      expect(await sut.verify(tx, userId, bad)).toEqual({ ok: false, reason: 'invalid_code' });
    }
    expect(await sut.verify(tx, userId, `${code.slice(0, 3)} ${code.slice(3)}`)).toMatchObject({
      ok: true,
    });
  });

  it('does not verify codes of a pending factor, nor confirm an enabled one again', async () => {
    const { secret } = await sut.beginEnrollment(tx, userId);
    expect(await sut.verify(tx, userId, await codeAt(secret))).toEqual({
      ok: false,
      reason: 'no_factor',
    });
    await sut.confirm(tx, userId, await codeAt(secret));
    clock.advance(30_000);
    expect(await sut.confirm(tx, userId, await codeAt(secret))).toEqual({
      ok: false,
      reason: 'no_factor',
    });
    await expect(sut.beginEnrollment(tx, userId)).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(await sut.disable(tx, userId)).toBe(true);
    expect(await sut.isEnabled(userId)).toBe(false);
  });
});
