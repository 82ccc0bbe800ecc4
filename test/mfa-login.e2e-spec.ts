import {
  type PasswordResetMessage,
  PasswordResetNotifier,
} from '../src/auth/passwords/password-reset-notifier';
import { MfaService } from '../src/mfa/mfa.service';
import { enrolTotp, totpCode } from './support/admin-session';
import {
  bearer,
  login,
  PASSWORD,
  register,
  signedInUser,
  uniqueEmail,
} from './support/auth-client';
import { SoftAuthenticator } from './support/soft-authenticator';
import { createTestApp, type TestApp } from './support/test-app';

interface Claims {
  amr: string[];
  auth_time: number;
  iat: number;
}

function claimsOf(accessToken: string): Claims {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8')) as Claims;
}

/**
 * Two-step login on a real database (embedded, or PostgreSQL with DATABASE_URL): the password
 * step answers mfa_required and creates nothing; the second step (TOTP, recovery code or
 * passkey) creates the session in the login's transport. Passkeys through a software
 * authenticator with real signatures.
 */
class Mailbox extends PasswordResetNotifier {
  readonly sent: PasswordResetMessage[] = [];
  send(message: PasswordResetMessage): Promise<void> {
    this.sent.push(message);
    return Promise.resolve();
  }
}

describe('two-step login (mfa_required, /auth/mfa/verify, passkeys)', () => {
  let t: TestApp;
  const mailbox = new Mailbox();

  beforeAll(async () => {
    t = await createTestApp({ auth: { passwordResetNotifier: mailbox } });
  });
  afterAll(async () => {
    await t.close();
  });

  /** A user with TOTP enrolled through the HTTP routes, signed out again. */
  async function userWithTotp(): Promise<{
    id: string;
    email: string;
    secret: string;
    recoveryCodes: string[];
  }> {
    const user = await signedInUser(t);
    const { secret, recoveryCodes } = await enrolTotp(t, user.accessToken);
    await t.http
      .post('/auth/logout')
      .set(...bearer(user.accessToken))
      .expect(204);
    t.clock.advance(30_000); // the confirming code's step is spent
    return { id: user.user.id, email: user.email, secret, recoveryCodes };
  }

  async function sessionCount(userId: string): Promise<number> {
    const [row] = await t.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM sessions WHERE user_id = $1 AND status = 'active'`,
      [userId],
    );
    return row.n;
  }

  async function passwordStep(
    email: string,
    headers: Record<string, string> = {},
  ): Promise<{ mfaToken: string; methods: string[]; expiresIn: number }> {
    const res = await t.http
      .post('/auth/login')
      .set(headers)
      .send({ email, password: PASSWORD })
      .expect(401);
    expect(res.body.code).toBe('mfa_required');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body.accessToken).toBeUndefined();
    return res.body as { mfaToken: string; methods: string[]; expiresIn: number };
  }

  it('answers mfa_required with an mfaToken, and creates no session, cookie or token', async () => {
    const user = await userWithTotp();
    const before = await sessionCount(user.id);
    const challenge = await passwordStep(user.email);
    expect(challenge.mfaToken).toMatch(/^[\w-]{43}$/);
    expect(challenge.methods).toEqual(['totp', 'recovery_code']);
    expect(challenge.expiresIn).toBe(300);
    expect(await sessionCount(user.id)).toBe(before);
  });

  it('wrong code → mfa_invalid; right code → tokens with amr and auth_time; the code once only', async () => {
    const user = await userWithTotp();
    const { mfaToken } = await passwordStep(user.email);
    const code = await totpCode(t, user.secret);
    const wrong = code === '000000' ? '111111' : '000000';
    const refused = await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken, method: 'totp', code: wrong })
      .expect(401);
    expect(refused.body.code).toBe('mfa_invalid');

    const ok = await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken, method: 'totp', code })
      .expect(200);
    expect(ok.body.accessToken).toEqual(expect.any(String));
    expect(ok.body.refreshToken).toEqual(expect.any(String));
    const claims = claimsOf(ok.body.accessToken as string);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(claims.auth_time).toBe(Math.floor(t.clock.nowMs() / 1000));
    await t.http
      .get('/auth/me')
      .set(...bearer(ok.body.accessToken as string))
      .expect(200);

    // The mfaToken is spent …
    const spent = await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken, method: 'totp', code })
      .expect(401);
    expect(spent.body.code).toBe('mfa_token_invalid');
    // … and the same code is refused with a new one (each code is accepted once).
    const next = await passwordStep(user.email);
    const replay = await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken: next.mfaToken, method: 'totp', code })
      .expect(401);
    expect(replay.body.code).toBe('mfa_invalid');

    // Refresh keeps the session's authentication context.
    t.clock.advance(60_000);
    const refreshed = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: ok.body.refreshToken })
      .expect(200);
    expect(claimsOf(refreshed.body.accessToken as string)).toMatchObject({
      amr: claims.amr,
      auth_time: claims.auth_time,
    });
    const oauth = await t.http
      .post('/oauth/token')
      .type('form')
      .send({ grant_type: 'refresh_token', refresh_token: refreshed.body.refreshToken })
      .expect(200);
    expect(claimsOf(oauth.body.access_token as string)).toMatchObject({
      amr: claims.amr,
      auth_time: claims.auth_time,
    });
  });

  it('a recovery code works once', async () => {
    const user = await userWithTotp();
    const [code] = user.recoveryCodes;
    const first = await passwordStep(user.email);
    const ok = await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken: first.mfaToken, method: 'recovery_code', code })
      .expect(200);
    expect(claimsOf(ok.body.accessToken as string).amr).toEqual(
      expect.arrayContaining(['pwd', 'otp', 'mfa']),
    );
    const second = await passwordStep(user.email);
    const again = await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken: second.mfaToken, method: 'recovery_code', code })
      .expect(401);
    expect(again.body.code).toBe('mfa_invalid');
  });

  it('burns the mfaToken after 5 wrong codes; an unknown token is mfa_token_invalid', async () => {
    const user = await userWithTotp();
    const { mfaToken } = await passwordStep(user.email);
    const code = await totpCode(t, user.secret);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i += 1) {
      const res = await t.http
        .post('/auth/mfa/verify')
        .send({ mfaToken, method: 'totp', code: wrong });
      expect([401, 423]).toContain(res.status);
    }
    const burnt = await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken, method: 'totp', code })
      .expect(401);
    expect(burnt.body.code).toBe('mfa_token_invalid');
    const unknown = await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken: 'A'.repeat(43), method: 'totp', code })
      .expect(401);
    expect(unknown.body.code).toBe('mfa_token_invalid');
  });

  it('works end to end in cookie mode', async () => {
    const user = await userWithTotp();
    const { mfaToken } = await passwordStep(user.email, { 'X-Auth-Mode': 'cookie' });
    const res = await t.http
      .post('/auth/mfa/verify')
      .send({ mfaToken, method: 'totp', code: await totpCode(t, user.secret) })
      .expect(200);
    const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
    expect(cookies.some((c) => c.startsWith('__Host-tessera_at='))).toBe(true);
    expect(cookies.some((c) => c.startsWith('__Host-tessera_rt='))).toBe(true);
    expect(res.body.csrfToken).toEqual(expect.any(String));
    expect(res.body.accessToken).toBeUndefined();
    expect(res.body.refreshToken).toBeUndefined();
    const jar = cookies.map((c) => c.split(';')[0]).join('; ');
    const me = await t.http.get('/auth/me').set('Cookie', jar).expect(200);
    expect(me.body.user.id).toBe(user.id);
  });

  it('a reset password never bypasses the second factor', async () => {
    const user = await userWithTotp();
    await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
    await new Promise((resolve) => setImmediate(resolve)); // delivery is not awaited
    const message = mailbox.sent.find((m) => m.userId === user.id);
    const newPassword = 'a brand new passphrase 42';
    await t.http
      .post('/auth/password/reset')
      .send({ token: message?.token, newPassword })
      .expect(204);
    // Reset does not sign in, and the new password alone is not enough.
    const res = await t.http
      .post('/auth/login')
      .send({ email: user.email, password: newPassword })
      .expect(401);
    expect(res.body.code).toBe('mfa_required');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  describe('passkeys (software authenticator)', () => {
    const origin = (): string => t.config.webauthn.origins[0];

    async function userWithPasskey(): Promise<{
      id: string;
      email: string;
      authenticator: SoftAuthenticator;
    }> {
      const email = uniqueEmail('passkey');
      const { id } = await register(t, email);
      const mfa = t.app.get(MfaService);
      const authenticator = new SoftAuthenticator(origin());
      await mfa.addPasskey(
        id,
        authenticator.createCredential(await mfa.passkeyRegistrationOptions(id)),
        { name: 'Laptop' },
        {},
      );
      return { id, email, authenticator };
    }

    async function options(body: Record<string, unknown> = {}, token?: string) {
      const req = t.http.post('/auth/passkeys/options');
      if (token) req.set(...bearer(token));
      return (await req.send(body).expect(200)).body;
    }

    it('signs in passwordless with a discoverable credential (amr hwk + mfa)', async () => {
      const user = await userWithPasskey();
      const opts = await options();
      expect(opts.allowCredentials).toBeUndefined();
      expect(opts.userVerification).toBe('required');
      const res = await t.http
        .post('/auth/passkeys/verify')
        .send({ response: user.authenticator.getAssertion(opts) })
        .expect(200);
      expect(res.body.user.id).toBe(user.id);
      expect(claimsOf(res.body.accessToken as string).amr).toEqual(['hwk', 'mfa']);
    });

    it('is the second factor after the password (amr pwd + hwk + mfa)', async () => {
      const user = await userWithPasskey();
      const challenge = await passwordStep(user.email);
      expect(challenge.methods).toEqual(['webauthn']);
      const opts = await options({ mfaToken: challenge.mfaToken });
      expect(opts.allowCredentials).toHaveLength(1);
      const res = await t.http
        .post('/auth/passkeys/verify')
        .send({ response: user.authenticator.getAssertion(opts), mfaToken: challenge.mfaToken })
        .expect(200);
      expect(claimsOf(res.body.accessToken as string).amr).toEqual(['pwd', 'hwk', 'mfa']);
      const spent = await t.http
        .post('/auth/passkeys/verify')
        .send({ response: user.authenticator.getAssertion(opts), mfaToken: challenge.mfaToken })
        .expect(401);
      expect(spent.body.code).toBe('mfa_token_invalid');
    });

    it('refuses a replayed assertion, a wrong origin and a wrong rp id', async () => {
      const user = await userWithPasskey();
      const opts = await options();
      const assertion = user.authenticator.getAssertion(opts);
      await t.http.post('/auth/passkeys/verify').send({ response: assertion }).expect(200);
      const replay = await t.http
        .post('/auth/passkeys/verify')
        .send({ response: assertion })
        .expect(401);
      expect(replay.body.code).toBe('mfa_invalid');

      const phished = user.authenticator.getAssertion(await options(), {
        origin: 'https://evil.example',
      });
      const wrongOrigin = await t.http
        .post('/auth/passkeys/verify')
        .send({ response: phished })
        .expect(401);
      expect(wrongOrigin.body.code).toBe('mfa_invalid');

      const otherRp = user.authenticator.getAssertion(await options(), { rpId: 'evil.example' });
      const wrongRp = await t.http
        .post('/auth/passkeys/verify')
        .send({ response: otherRp })
        .expect(401);
      expect(wrongRp.body.code).toBe('mfa_invalid');
    });

    it('steps up the current session when signed in', async () => {
      const user = await userWithPasskey();
      const session = await login(t, user.email).catch(() => undefined);
      // A passkey user answers mfa_required: sign in passwordless, then step up later.
      expect(session).toBeUndefined();
      const first = await t.http
        .post('/auth/passkeys/verify')
        .send({ response: user.authenticator.getAssertion(await options()) })
        .expect(200);
      t.clock.advance(11 * 60_000);
      const token = first.body.accessToken as string;
      const opts = await options({}, token);
      expect(opts.allowCredentials).toHaveLength(1);
      const res = await t.http
        .post('/auth/passkeys/verify')
        .set(...bearer(token))
        .send({ response: user.authenticator.getAssertion(opts) })
        .expect(200);
      expect(res.body.refreshToken).toBeUndefined();
      const claims = claimsOf(res.body.accessToken as string);
      expect(claims.auth_time).toBe(Math.floor(t.clock.nowMs() / 1000));
      expect(claims.amr).toEqual(['hwk', 'mfa']);
    });
  });
});
