import { generate } from 'otplib';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { MfaService, type MfaStatus } from '../src/mfa/mfa.service';
import { bearer, signedInUser, uniqueEmail } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin as mfaAdmin } from './support/admin-session';
import { SoftAuthenticator } from './support/soft-authenticator';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * The one way this file gets an admin session. With ADMIN_REQUIRE_MFA an admin session needs a
 * second factor, which the shared helper enrols over HTTP.
 */
async function signedInAdmin(t: TestApp): Promise<{ accessToken: string; userId: string }> {
  const admin = await mfaAdmin(t, uniqueEmail('mfa-reset-admin'));
  return { accessToken: admin.accessToken, userId: admin.user.id };
}

/** DELETE /admin/users/{id}/mfa on a real database (embedded, or PostgreSQL with DATABASE_URL). */
describe("admin reset of a user's second factors", () => {
  let t: TestApp;
  let admin: { accessToken: string; userId: string };

  beforeAll(async () => {
    t = await createTestApp();
    admin = await signedInAdmin(t);
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  /** What the user's security settings show (GET /me/mfa once the self-service routes exist). */
  const factorsOf = (userId: string): Promise<MfaStatus> => t.app.get(MfaService).status(userId);

  /** A user with an authenticator app (through MfaService) and a passkey (through HTTP). */
  async function userWithFactors(): Promise<{ id: string; accessToken: string }> {
    const user = await signedInUser(t);
    const mfa = t.app.get(MfaService);
    const { secret } = await mfa.beginTotpEnrollment(user.user.id);
    const code = await generate({ secret, epoch: Math.floor(t.clock.nowMs() / 1000) });
    await mfa.confirmTotp(user.user.id, code, {});
    const options = (
      await t.http
        .post('/me/passkeys/options')
        .set(...bearer(user.accessToken))
        .expect(200)
    ).body as PublicKeyCredentialCreationOptionsJSON;
    const response = new SoftAuthenticator(t.config.webauthn.origins[0]).createCredential(options);
    await t.http
      .post('/me/passkeys')
      .set(...bearer(user.accessToken))
      .send({ response, name: 'Phone' })
      .expect(201);
    expect(await factorsOf(user.user.id)).toMatchObject({ totp: true, recoveryCodesLeft: 10 });
    return { id: user.user.id, accessToken: user.accessToken };
  }

  it('removes every factor, audited with the admin as actor, and alerts the user', async () => {
    const user = await userWithFactors();
    await t.http
      .delete(`/admin/users/${user.id}/mfa`)
      .set(...bearer(admin.accessToken))
      .expect(204);

    expect(await factorsOf(user.id)).toEqual({ totp: false, passkeys: [], recoveryCodesLeft: 0 });
    const passkeys = await t.http
      .get('/me/passkeys')
      .set(...bearer(user.accessToken))
      .expect(200);
    expect(passkeys.body.items).toEqual([]);

    await drainEvents(t);
    const audit = (
      await t.http
        .get('/admin/audit')
        .query({ userId: user.id, limit: 50 })
        .set(...bearer(admin.accessToken))
        .expect(200)
    ).body.items as Array<{ type: string; actorId: string | null; data: Record<string, unknown> }>;
    const reset = audit.filter((r) => ['mfa.disabled', 'passkey.removed'].includes(r.type));
    expect(reset.map((r) => r.type).sort()).toEqual(['mfa.disabled', 'passkey.removed']);
    for (const record of reset) expect(record.actorId).toBe(admin.userId);
    expect(reset.find((r) => r.type === 'mfa.disabled')?.data).toMatchObject({ method: 'all' });

    const alerts = (
      await t.http
        .get('/me/alerts')
        .set(...bearer(user.accessToken))
        .expect(200)
    ).body.items as Array<{ rule: string; severity: string; occurrences: number }>;
    expect(alerts).toEqual([
      expect.objectContaining({ rule: 'mfa.factor_removed', severity: 'high', occurrences: 2 }),
    ]);
  });

  it('answers 404 for an unknown user and 400 for a malformed id', async () => {
    const missing = await t.http
      .delete('/admin/users/00000000-0000-4000-8000-000000000000/mfa')
      .set(...bearer(admin.accessToken))
      .expect(404);
    expect(missing.body.code).toBe('not_found');
    await t.http
      .delete('/admin/users/not-a-uuid/mfa')
      .set(...bearer(admin.accessToken))
      .expect(400);
  });

  it('is refused to a non-admin (403) and to the anonymous (401), and changes nothing', async () => {
    const user = await userWithFactors();
    const other = await signedInUser(t);
    const refused = await t.http
      .delete(`/admin/users/${user.id}/mfa`)
      .set(...bearer(other.accessToken))
      .expect(403);
    expect(refused.body.code).toBe('forbidden');
    await t.http.delete(`/admin/users/${user.id}/mfa`).expect(401);
    expect(await factorsOf(user.id)).toMatchObject({ totp: true, recoveryCodesLeft: 10 });
    expect((await factorsOf(user.id)).passkeys).toHaveLength(1);
  });
});
