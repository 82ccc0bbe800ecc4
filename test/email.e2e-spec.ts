import { login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { SmtpInbox } from './support/smtp-inbox';
import { createTestApp, type TestApp } from './support/test-app';

const RESET_URL = 'https://app.example.com/account/reset';
const NO_SMTP_WARNING = 'password reset emails are not delivered';

/** SMTP_URL: reset links and security alerts reach the user through a real SMTP server. */
describe('email over SMTP', () => {
  let inbox: SmtpInbox;
  let t: TestApp;
  const logs: string[] = [];

  beforeAll(async () => {
    inbox = await SmtpInbox.start();
    t = await createTestApp({
      env: {
        SMTP_URL: inbox.url,
        MAIL_FROM: 'Tessera Security <security@example.com>',
        PASSWORD_RESET_URL: RESET_URL,
      },
      logs,
    });
  });
  afterAll(async () => {
    await t.close();
    await inbox.close();
  });

  it('forgot-password emails a link whose token resets the password', async () => {
    const email = uniqueEmail('mail');
    await register(t, email);
    const started = performance.now();
    await t.http.post('/auth/password/forgot').send({ email }).expect(202);
    const answeredMs = performance.now() - started;

    const mail = await inbox.next((m) => m.to.includes(email));
    expect(mail.from).toBe('security@example.com');
    expect(mail.headers.from).toBe('Tessera Security <security@example.com>');
    expect(mail.subject).toBe('Reset your password');
    const links = mail.text.match(/https?:\/\/\S+/g) ?? [];
    expect(links).toHaveLength(1);
    const link = links[0] ?? '';
    // The token travels in the fragment, which browsers never send to a server.
    expect(link.startsWith(`${RESET_URL}#token=`)).toBe(true);
    const token = decodeURIComponent(link.slice(`${RESET_URL}#token=`.length));
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect(mail.text).toMatch(/expires in 30 minutes/);
    // The only secret in the message is the token, once.
    expect(mail.raw.split(token)).toHaveLength(2);
    // The request did not wait for the mail server.
    expect(answeredMs).toBeLessThan(5_000);

    const newPassword = 'a brand new passphrase 42';
    await t.http.post('/auth/password/reset').send({ token, newPassword }).expect(204);
    await t.http.post('/auth/login').send({ email, password: newPassword }).expect(200);
    await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(401);
    // Single use.
    const again = await t.http
      .post('/auth/password/reset')
      .send({ token, newPassword: 'yet another passphrase 43' })
      .expect(400);
    expect(again.body.code).toBe('validation_failed');
  });

  it('an unknown email gets the same 202 and no message', async () => {
    const known = uniqueEmail('known');
    await register(t, known);
    const unknown = uniqueEmail('nobody');
    await t.http.post('/auth/password/forgot').send({ email: unknown }).expect(202);
    await t.http.post('/auth/password/forgot').send({ email: known }).expect(202);
    await inbox.next((m) => m.to.includes(known));
    expect(inbox.messages.some((m) => m.to.includes(unknown))).toBe(false);
  });

  it('a sign-in from a new device emails the user a security alert', async () => {
    const email = uniqueEmail('device');
    await register(t, email);
    await login(t, email, { device: { id: 'laptop-0001', name: 'Laptop' } });
    await drainEvents(t);
    // The account's first device is not news.
    expect(inbox.messages.some((m) => m.to.includes(email))).toBe(false);

    await login(t, email, { device: { id: 'phone-0002', name: 'Pocket phone' } });
    await drainEvents(t);
    const mail = await inbox.next((m) => m.to.includes(email));
    expect(mail.subject).toBe('Security alert: Sign-in from a new device: Pocket phone');
    expect(mail.text).toContain('Sign-in from a new device: Pocket phone');
    expect(mail.text).toContain('change your password');
    // No token or session secret in an alert.
    expect(mail.text).not.toMatch(/token|eyJ/i);
    expect(logs.some((line) => line.includes(NO_SMTP_WARNING))).toBe(false);
  });
});

describe('without SMTP_URL', () => {
  it('logs one warning at start-up that reset emails are not delivered', async () => {
    const logs: string[] = [];
    const t = await createTestApp({ logs });
    try {
      const warnings = logs.filter((line) => line.includes(NO_SMTP_WARNING));
      expect(warnings).toHaveLength(1);
      expect(JSON.parse(warnings[0])).toMatchObject({ level: 'warn' });
      // Still 202, and no second warning per request.
      const email = uniqueEmail('nosmtp');
      await register(t, email);
      await t.http.post('/auth/password/forgot').send({ email }).expect(202);
      expect(logs.filter((line) => line.includes(NO_SMTP_WARNING))).toHaveLength(1);
    } finally {
      await t.close();
    }
  });

  it('an application that supplies its own notifier gets no warning', async () => {
    const logs: string[] = [];
    const t = await createTestApp({
      logs,
      auth: { passwordResetNotifier: { send: async () => undefined } },
    });
    await t.close();
    expect(logs.some((line) => line.includes(NO_SMTP_WARNING))).toBe(false);
  });
});
