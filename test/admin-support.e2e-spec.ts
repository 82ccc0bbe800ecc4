import {
  PasswordResetNotifier,
  type PasswordResetMessage,
} from '../src/auth/passwords/password-reset-notifier';
import { bearer, login, PASSWORD, signedInUser, uniqueEmail } from './support/auth-client';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { drainEvents, eventually } from './support/events-helpers';
import { createTestApp, type TestApp } from './support/test-app';

/** Keeps the reset messages the service sends, for the test to read. */
class Mailbox extends PasswordResetNotifier {
  readonly messages: PasswordResetMessage[] = [];
  async send(message: PasswordResetMessage): Promise<void> {
    this.messages.push(message);
  }
  async tokenFor(email: string): Promise<string> {
    const message = await eventually(() =>
      [...this.messages].reverse().find((m) => m.email === email),
    );
    return message.token;
  }
}

/** Account support for administrators: create users, send resets, see their devices. */
describe('admin support routes', () => {
  let t: TestApp;
  const mailbox = new Mailbox();
  let admin: { accessToken: string; userId: string };

  beforeAll(async () => {
    t = await createTestApp({ auth: { passwordResetNotifier: mailbox } });
    const session = await signedInAdmin(t, uniqueEmail('support-admin'));
    admin = { accessToken: session.accessToken, userId: session.user.id };
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  const asAdmin = bearer;

  async function auditOf(userId: string, type: string): Promise<Array<{ actor_id: string }>> {
    await drainEvents(t);
    return t.dataSource.query(
      `SELECT actor_id FROM audit_records WHERE user_id = $1 AND type = $2 ORDER BY seq`,
      [userId, type],
    );
  }

  it('creates a user with a password, who can sign in; audited with the admin as actor', async () => {
    const email = uniqueEmail('created');
    const res = await t.http
      .post('/admin/users')
      .set(...asAdmin(admin.accessToken))
      .send({ email, password: PASSWORD, displayName: 'Created' })
      .expect(201);
    expect(res.body).toMatchObject({ email, displayName: 'Created', roles: ['user'] });
    expect(res.body.activeSessions).toBe(0);
    await login(t, email);
    expect(await auditOf(res.body.id, 'user.registered')).toEqual([{ actor_id: admin.userId }]);
    expect(mailbox.messages.filter((m) => m.email === email)).toEqual([]);
  });

  it('invites a user without a password: a reset message lets them choose one', async () => {
    const email = uniqueEmail('invited');
    const res = await t.http
      .post('/admin/users')
      .set(...asAdmin(admin.accessToken))
      .send({ email, roles: ['user', 'admin'] })
      .expect(201);
    expect(res.body.roles.sort()).toEqual(['admin', 'user']);
    expect(await auditOf(res.body.id, 'user.roles_changed')).toEqual([{ actor_id: admin.userId }]);
    // No one knows the random password; the invitation's token sets a real one.
    const token = await mailbox.tokenFor(email);
    await t.http
      .post('/auth/password/reset')
      .send({ token, newPassword: 'an invited passphrase' })
      .expect(204);
    await t.http.post('/auth/login').send({ email, password: 'an invited passphrase' }).expect(200);
    expect(await auditOf(res.body.id, 'password.reset_requested')).toEqual([
      { actor_id: admin.userId },
    ]);
  });

  it('refuses a taken email (409) and bad input (400); not for non-admins (403)', async () => {
    const user = await signedInUser(t);
    const taken = await t.http
      .post('/admin/users')
      .set(...asAdmin(admin.accessToken))
      .send({ email: user.email, password: PASSWORD })
      .expect(409);
    expect(taken.body.code).toBe('email_taken');
    const bad = await t.http
      .post('/admin/users')
      .set(...asAdmin(admin.accessToken))
      .send({ email: 'not-an-email', roles: ['root'] })
      .expect(400);
    expect(bad.body.code).toBe('validation_failed');
    await t.http
      .post('/admin/users')
      .set(...bearer(user.accessToken))
      .send({ email: uniqueEmail(), password: PASSWORD })
      .expect(403);
  });

  it("sends a user a password reset on the admin's behalf; 404 for an unknown user", async () => {
    const user = await signedInUser(t);
    const before = mailbox.messages.length;
    await t.http
      .post(`/admin/users/${user.user.id}/password-reset`)
      .set(...asAdmin(admin.accessToken))
      .expect(202);
    const token = await mailbox.tokenFor(user.email);
    expect(mailbox.messages.length).toBe(before + 1);
    await t.http
      .post('/auth/password/reset')
      .send({ token, newPassword: 'reset by support' })
      .expect(204);
    expect(await auditOf(user.user.id, 'password.reset_requested')).toEqual([
      { actor_id: admin.userId },
    ]);
    await t.http
      .post('/admin/users/6f1c1b8e-7d2a-4a4e-9a51-0d3c2b1a0f99/password-reset')
      .set(...asAdmin(admin.accessToken))
      .expect(404);
  });

  it("lists a user's devices as the user sees them; 404 for an unknown user", async () => {
    const user = await signedInUser(t, { device: { id: 'support-phone', name: 'Phone' } });
    const own = await t.http
      .get('/devices')
      .set(...bearer(user.accessToken))
      .expect(200);
    const seen = await t.http
      .get(`/admin/users/${user.user.id}/devices`)
      .set(...asAdmin(admin.accessToken))
      .expect(200);
    expect(seen.body).toEqual(own.body);
    expect(seen.body.items).toHaveLength(1);
    expect(seen.body.items[0]).toMatchObject({ name: 'Phone', activeSessions: 1 });
    await t.http
      .get('/admin/users/6f1c1b8e-7d2a-4a4e-9a51-0d3c2b1a0f99/devices')
      .set(...asAdmin(admin.accessToken))
      .expect(404);
    await t.http
      .get(`/admin/users/${user.user.id}/devices`)
      .set(...bearer(user.accessToken))
      .expect(403);
  });
});
