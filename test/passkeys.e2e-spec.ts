import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { bearer, login, register, uniqueEmail, type TokenBody } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { SoftAuthenticator } from './support/soft-authenticator';
import { createTestApp, type TestApp } from './support/test-app';

const PROBLEM = /^application\/problem\+json/;
const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const PHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

/**
 * The passkey self-service routes over HTTP on a real database (embedded, or PostgreSQL with
 * DATABASE_URL), with a software authenticator producing real attestations, so the server's
 * WebAuthn verification runs for real.
 */
describe('passkeys (/me/passkeys)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const origin = (): string => t.config.webauthn.origins[0];

  async function signedIn(
    deviceId = 'laptop-0001-passkeys',
    userAgent = LAPTOP,
  ): Promise<TokenBody & { email: string }> {
    const email = uniqueEmail('passkey');
    await register(t, email);
    return { ...(await login(t, email, { device: { id: deviceId } }, userAgent)), email };
  }

  async function creationOptions(token: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return (
      await t.http
        .post('/me/passkeys/options')
        .set(...bearer(token))
        .expect(200)
    ).body as PublicKeyCredentialCreationOptionsJSON;
  }

  /** The whole registration ceremony: options, the authenticator, then POST /me/passkeys. */
  async function registerPasskey(
    token: string,
    authenticator = new SoftAuthenticator(origin()),
    name?: string,
  ): Promise<{ id: string; name: string; createdAt: string; lastUsedAt: string | null }> {
    const options = await creationOptions(token);
    const response = authenticator.createCredential(options);
    return (
      await t.http
        .post('/me/passkeys')
        .set(...bearer(token))
        .send({ response, ...(name === undefined ? {} : { name }) })
        .expect(201)
    ).body;
  }

  async function listOf(token: string): Promise<Array<Record<string, unknown>>> {
    return (
      await t.http
        .get('/me/passkeys')
        .set(...bearer(token))
        .expect(200)
    ).body.items;
  }

  it('offers creation options: user verification, discoverable key, existing ones excluded', async () => {
    const me = await signedIn();
    const options = await creationOptions(me.accessToken);
    expect(options).toMatchObject({
      rp: { id: 'localhost', name: 'Tessera' },
      user: { name: me.email },
      attestation: 'none',
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
      excludeCredentials: [],
    });
    expect(options.challenge).toMatch(/^[\w-]{16,}$/);
    const added = await registerPasskey(me.accessToken);
    const next = await creationOptions(me.accessToken);
    expect(next.excludeCredentials?.map((c) => c.id)).toEqual([added.id]);
  });

  it('registers, lists, renames and removes a passkey, showing no key material', async () => {
    const me = await signedIn();
    const authenticator = new SoftAuthenticator(origin());
    const added = await registerPasskey(me.accessToken, authenticator, 'Laptop fingerprint');
    expect(added).toEqual({
      id: authenticator.credentialIds[0],
      name: 'Laptop fingerprint',
      createdAt: new Date(t.clock.nowMs()).toISOString(),
      lastUsedAt: null,
    });
    t.clock.advance(1000); // listed oldest first; same instant: by id
    const second = await registerPasskey(me.accessToken);
    expect(second.name).toBe('Passkey 2');
    expect(await listOf(me.accessToken)).toEqual([added, second]);

    const renamed = await t.http
      .patch(`/me/passkeys/${added.id}`)
      .set(...bearer(me.accessToken))
      .send({ name: '  Work laptop ' })
      .expect(200);
    expect(renamed.body).toEqual({ ...added, name: 'Work laptop' });

    await t.http
      .delete(`/me/passkeys/${added.id}`)
      .set(...bearer(me.accessToken))
      .expect(204);
    expect((await listOf(me.accessToken)).map((p) => p.id)).toEqual([second.id]);
    const gone = await t.http
      .delete(`/me/passkeys/${added.id}`)
      .set(...bearer(me.accessToken))
      .expect(404);
    expect(gone.body.code).toBe('not_found');
  });

  it("answers 404 for another user's passkey, and leaves it alone", async () => {
    const owner = await signedIn();
    const stranger = await signedIn();
    const { id } = await registerPasskey(owner.accessToken);
    for (const request of [
      t.http.delete(`/me/passkeys/${id}`),
      t.http.patch(`/me/passkeys/${id}`).send({ name: 'Mine now' }),
    ]) {
      const res = await request.set(...bearer(stranger.accessToken)).expect(404);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body.code).toBe('not_found');
    }
    expect(await listOf(stranger.accessToken)).toEqual([]);
    expect(await listOf(owner.accessToken)).toEqual([
      expect.objectContaining({ id, name: 'Passkey 1' }),
    ]);
  });

  it('refuses a registration from a wrong origin or for a wrong rp id (400 problem+json)', async () => {
    const me = await signedIn();
    const attempts = [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }];
    for (const overrides of attempts) {
      const options = await creationOptions(me.accessToken);
      const response = new SoftAuthenticator(origin()).createCredential(options, overrides);
      const res = await t.http
        .post('/me/passkeys')
        .set(...bearer(me.accessToken))
        .send({ response })
        .expect(400);
      expect(res.headers['content-type']).toMatch(PROBLEM);
      expect(res.body).toMatchObject({ code: 'validation_failed', status: 400 });
    }
    expect(await listOf(me.accessToken)).toEqual([]);
  });

  it('validates bodies and ids: unknown fields, a missing response, a malformed id', async () => {
    const me = await signedIn();
    const options = await creationOptions(me.accessToken);
    const response = new SoftAuthenticator(origin()).createCredential(options);
    for (const body of [{ response, publicKey: 'x' }, { name: 'No response' }, { response: 'x' }]) {
      const res = await t.http
        .post('/me/passkeys')
        .set(...bearer(me.accessToken))
        .send(body)
        .expect(400);
      expect(res.body.code).toBe('validation_failed');
    }
    await t.http
      .patch('/me/passkeys/not%20an%20id')
      .set(...bearer(me.accessToken))
      .send({ name: 'x' })
      .expect(400);
    await t.http.get('/me/passkeys').expect(401);
  });

  it('shows on GET /devices which device holds the passkey', async () => {
    const me = await signedIn('laptop-0002-passkeys', LAPTOP);
    const phone = await login(t, me.email, { device: { id: 'phone-0002-passkeys' } }, PHONE);
    await registerPasskey(me.accessToken);
    const devices = (
      await t.http
        .get('/devices')
        .set(...bearer(phone.accessToken))
        .expect(200)
    ).body.items as Array<{ id: string; passkeys: number }>;
    expect(devices).toHaveLength(2);
    expect(devices.find((d) => d.id === me.session.device?.id)?.passkeys).toBe(1);
    expect(devices.find((d) => d.id === phone.session.device?.id)?.passkeys).toBe(0);
  });

  it('audits passkey.added and passkey.removed, and removal raises an alert for the user', async () => {
    const me = await signedIn();
    const { id } = await registerPasskey(me.accessToken, undefined, 'Old key');
    await t.http
      .delete(`/me/passkeys/${id}`)
      .set(...bearer(me.accessToken))
      .expect(204);
    await drainEvents(t);

    const activity = (
      await t.http
        .get('/me/activity?limit=50')
        .set(...bearer(me.accessToken))
        .expect(200)
    ).body.items as Array<{
      type: string;
      sessionId: string | null;
      data: Record<string, unknown>;
    }>;
    const added = activity.find((r) => r.type === 'passkey.added');
    const removed = activity.find((r) => r.type === 'passkey.removed');
    expect(added).toMatchObject({ sessionId: me.session.id, data: { credentialId: id } });
    expect(removed).toMatchObject({
      sessionId: me.session.id,
      data: { credentialId: id, name: 'Old key' },
    });
    expect(JSON.stringify(activity)).not.toMatch(/publicKey|attestationObject/);

    const alerts = (
      await t.http
        .get('/me/alerts')
        .set(...bearer(me.accessToken))
        .expect(200)
    ).body.items as Array<{ rule: string; severity: string; title: string }>;
    expect(alerts).toEqual([
      expect.objectContaining({
        rule: 'mfa.factor_removed',
        severity: 'medium',
        title: 'A passkey was removed: Old key',
      }),
    ]);
  });
});
