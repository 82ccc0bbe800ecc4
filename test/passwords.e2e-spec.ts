import {
  PasswordResetNotifier,
  type PasswordResetMessage,
} from '../src/auth/passwords/password-reset-notifier';
import { bearer, login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

/** A real channel would send mail; this one keeps the messages for the test to read. */
class MailboxNotifier extends PasswordResetNotifier {
  readonly messages: PasswordResetMessage[] = [];
  async send(message: PasswordResetMessage): Promise<void> {
    this.messages.push(message);
  }
  tokenFor(email: string): string {
    const message = [...this.messages].reverse().find((m) => m.email === email);
    if (!message) throw new Error(`no reset message for ${email}`);
    return message.token;
  }
}

describe('password change and reset', () => {
  let t: TestApp;
  const mailbox = new MailboxNotifier();
  const logs: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      auth: { passwordResetNotifier: mailbox },
      logs,
      env: { LOG_LEVEL: 'debug' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function waitForMessage(count: number): Promise<void> {
    for (let i = 0; i < 100 && mailbox.messages.length < count; i += 1)
      await new Promise((r) => setTimeout(r, 10));
    expect(mailbox.messages.length).toBeGreaterThanOrEqual(count);
  }

  it('change: needs the current password, ends the other sessions, keeps this one', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const current = await login(t, email);
    const other = await login(t, email);
    const wrong = await t.http
      .post('/auth/password/change')
      .set(...bearer(current.accessToken))
      .send({ currentPassword: 'not it at all', newPassword: 'a brand new passphrase' })
      .expect(400);
    expect(wrong.body.errors[0].field).toBe('currentPassword');

    await t.http
      .post('/auth/password/change')
      .set(...bearer(current.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase' })
      .expect(204);
    await t.http
      .get('/auth/me')
      .set(...bearer(current.accessToken))
      .expect(200);
    await t.http.post('/auth/refresh').send({ refreshToken: current.refreshToken }).expect(200);
    const ended = await t.http
      .get('/auth/me')
      .set(...bearer(other.accessToken))
      .expect(401);
    expect(ended.body.code).toBe('session_revoked');
    await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(401);
    await t.http
      .post('/auth/login')
      .send({ email, password: 'a brand new passphrase' })
      .expect(200);
  });

  it('forgot: always 202, whether or not the account exists', async () => {
    const before = mailbox.messages.length;
    await t.http
      .post('/auth/password/forgot')
      .send({ email: uniqueEmail('ghost') })
      .expect(202);
    const email = uniqueEmail();
    await register(t, email);
    const res = await t.http.post('/auth/password/forgot').send({ email }).expect(202);
    expect(res.text).toBe('');
    await waitForMessage(before + 1);
    expect(mailbox.messages.slice(before).map((m) => m.email)).toEqual([email]);
  });

  it('reset: ends every session, never signs in, and the token works once', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const a = await login(t, email);
    const b = await login(t, email);
    const count = mailbox.messages.length;
    await t.http.post('/auth/password/forgot').send({ email }).expect(202);
    await waitForMessage(count + 1);
    const token = mailbox.tokenFor(email);

    const reset = await t.http
      .post('/auth/password/reset')
      .send({ token, newPassword: 'reset to something new' })
      .expect(204);
    expect(reset.text).toBe('');
    expect(reset.headers['set-cookie']).toBeUndefined();
    for (const tokens of [a, b]) {
      const res = await t.http
        .get('/auth/me')
        .set(...bearer(tokens.accessToken))
        .expect(401);
      expect(res.body.code).toBe('session_revoked');
    }
    const again = await t.http
      .post('/auth/password/reset')
      .send({ token, newPassword: 'and once more again' })
      .expect(400);
    expect(again.body.errors[0].field).toBe('token');
    await t.http
      .post('/auth/login')
      .send({ email, password: 'reset to something new' })
      .expect(200);
  });

  it('reset tokens expire, and a newer request voids the older token', async () => {
    const email = uniqueEmail();
    await register(t, email);
    await t.http.post('/auth/password/forgot').send({ email }).expect(202);
    await waitForMessage(mailbox.messages.length);
    const first = mailbox.tokenFor(email);
    const count = mailbox.messages.length;
    await t.http.post('/auth/password/forgot').send({ email }).expect(202);
    await waitForMessage(count + 1);
    const second = mailbox.tokenFor(email);
    await t.http
      .post('/auth/password/reset')
      .send({ token: first, newPassword: 'void token attempt' })
      .expect(400);

    t.clock.advance(31 * 60_000);
    await t.http
      .post('/auth/password/reset')
      .send({ token: second, newPassword: 'too late attempt' })
      .expect(400);
  });

  it('keeps tokens and passwords out of the logs and the stored events', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const count = mailbox.messages.length;
    await t.http.post('/auth/password/forgot').send({ email }).expect(202);
    await waitForMessage(count + 1);
    const token = mailbox.tokenFor(email);
    const tokens = await login(t, email);
    await t.flushEvents();
    const stored = JSON.stringify(await t.dataSource.query('SELECT payload FROM outbox_events'));
    for (const secret of [token, tokens.refreshToken, tokens.accessToken, PASSWORD]) {
      expect(stored).not.toContain(secret);
      expect(logs.join('\n')).not.toContain(secret);
    }
    const hashes = JSON.stringify(
      await t.dataSource.query('SELECT token_hash FROM password_reset_tokens'),
    );
    expect(hashes).not.toContain(token);
  });
});
