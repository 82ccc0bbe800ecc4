import { generate } from 'otplib';
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp, type TesseraApp } from '../src/app.factory';
import { CLI_ACTOR_ID } from '../src/cli/cli-output';
import { JsonLogger } from '../src/common/json-logger';
import { loadConfig } from '../src/config/app-config';
import { bearer, PASSWORD, uniqueEmail } from './support/auth-client';
import { SoftAuthenticator } from './support/soft-authenticator';
import { createScratchDatabase, type ScratchDatabase, serverUrl } from './support/test-database';

// Every command is a fresh Node process booting the application: allow for a loaded machine.
jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..');
const DIST = join(ROOT, 'dist');

function newestMtimeMs(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (newest, entry) => Math.max(newest, newestMtimeMs(join(path, entry))),
    stat.mtimeMs,
  );
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * A private copy of the build (global setup runs `nest build`), so that a rebuild started
 * meanwhile by another test run, which empties dist first, cannot pull the CLI from under
 * these tests. node_modules is linked next to it so that requires resolve as from dist.
 */
async function snapshotBuild(into: string): Promise<string> {
  symlinkSync(join(ROOT, 'node_modules'), join(into, 'node_modules'), 'dir');
  for (let waited = 0; waited < 60_000; waited += 500) {
    const cli = join(DIST, 'src', 'cli.js');
    if (existsSync(cli) && Date.now() - newestMtimeMs(DIST) > 2000) {
      rmSync(join(into, 'dist'), { recursive: true, force: true });
      cpSync(DIST, join(into, 'dist'), { recursive: true });
      return join(into, 'dist', 'src', 'cli.js');
    }
    await sleep(500);
  }
  throw new Error(`${DIST} has no finished build: run "nest build" (global setup does)`);
}

interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the built CLI as an operator would: `node dist/src/cli.js …` with only the environment
 * given here, from an empty directory (so no .env is picked up). Against a scratch database on
 * the PostgreSQL server when DATABASE_URL is set, else the embedded database in a temp DATA_DIR.
 */
describe('operator CLI', () => {
  let workDir: string;
  let cliPath: string;
  let scratch: ScratchDatabase | undefined;
  let env: Record<string, string>;
  const signingKey = process.env.TESSERA_TEST_SIGNING_KEY ?? '';

  function cli(args: string[], extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return new Promise((resolvePromise) => {
      execFile(
        process.execPath,
        [cliPath, ...args],
        {
          cwd: workDir,
          env: { PATH: process.env.PATH ?? '', ...env, ...extraEnv },
          timeout: 60_000,
        },
        (error, stdout, stderr) => {
          const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
          resolvePromise({ status, stdout, stderr });
        },
      );
    });
  }

  /** The HTTP server on the same database (embedded: it holds DATA_DIR until closed). */
  async function startServer(): Promise<TesseraApp & { http: ReturnType<typeof request> }> {
    const config = loadConfig({ ...env, RATE_LIMIT_ENABLED: 'false' });
    const server = await createApp(config, { logger: new JsonLogger('error', () => undefined) });
    return { ...server, http: request(server.app.getHttpServer()) };
  }

  const expectFailure = (result: CliResult, message: RegExp, status = 1): void => {
    expect({ status: result.status, stdout: result.stdout }).toEqual({ status, stdout: '' });
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(message)]);
  };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
    cliPath = await snapshotBuild(workDir);
    const server = serverUrl();
    scratch = server ? await createScratchDatabase(server) : undefined;
    env = {
      ...(scratch ? { DATABASE_URL: scratch.url } : {}),
      DATA_DIR: join(workDir, 'data'),
      JWT_PRIVATE_KEY: signingKey,
      LOG_LEVEL: 'error',
    };
  });
  afterAll(async () => {
    await scratch?.drop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  // These fail or finish before opening the database, so they may run side by side.
  it('explains itself, and refuses bad input, bad configuration and env-provided keys in one line', async () => {
    const [help, createHelp, unknown, badFrom, badConfig, keyFromEnv] = await Promise.all([
      cli(['--help']),
      cli(['admin:create', '--help']),
      cli(['admin:nuke']),
      cli(['audit:export', '--from', 'last tuesday']),
      cli(['audit:verify'], { SESSION_IDLE_TIMEOUT: 'soon' }),
      cli(['keys:rotate']),
    ]);
    expect(help.status).toBe(0);
    for (const command of [
      'admin:create',
      'admin:grant',
      'admin:revoke',
      'sessions:list',
      'sessions:revoke',
      'audit:verify',
      'audit:export',
      'audit:purge',
      'keys:rotate',
      'mfa:reset',
      'clients:create',
      'clients:list',
      'clients:delete',
    ]) {
      expect(help.stdout).toContain(command);
    }
    expect(createHelp.stdout).toMatch(/--email <email>[\s\S]*--password <password>/);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown command/);
    expectFailure(badFrom, /^error: --from: last tuesday is not an ISO-8601/);
    // The server's exit status for a bad environment (EX_CONFIG).
    expectFailure(badConfig, /^error: invalid configuration: SESSION_IDLE_TIMEOUT/, 78);
    expectFailure(keyFromEnv, /JWT_PRIVATE_KEY, not a generated key/);
  });

  it('creates an admin, manages sessions and roles, and audits it all with the CLI as actor', async () => {
    const adminEmail = uniqueEmail('cli-admin');
    const created = await cli(['admin:create', '--email', adminEmail, '--password', PASSWORD]);
    expect(created).toMatchObject({ status: 0, stderr: '' });
    expect(created.stdout).toMatch(new RegExp(`^created admin ${adminEmail} \\(`));

    // The server: the new admin signs in and works; a user gets two sessions.
    const userEmail = uniqueEmail('cli-user');
    let server = await startServer();
    let adminToken: string;
    const userSessions: string[] = [];
    const userTokens: string[] = [];
    try {
      // ADMIN_REQUIRE_MFA: a password-only session is sent to enrol a second factor first.
      const passwordOnly = (
        await server.http
          .post('/auth/login')
          .send({ email: adminEmail, password: PASSWORD })
          .expect(200)
      ).body.accessToken as string;
      const unenrolled = await server.http
        .get('/admin/users')
        .set(...bearer(passwordOnly))
        .expect(403);
      expect(unenrolled.body.code).toBe('mfa_enrollment_required');
      const { secret } = (
        await server.http
          .post('/me/mfa/totp')
          .set(...bearer(passwordOnly))
          .expect(201)
      ).body as { secret: string };
      const { recoveryCodes } = (
        await server.http
          .post('/me/mfa/totp/confirm')
          .set(...bearer(passwordOnly))
          .send({ code: await generate({ secret }) })
          .expect(200)
      ).body as { recoveryCodes: string[] };
      const challenge = await server.http
        .post('/auth/login')
        .send({ email: adminEmail, password: PASSWORD })
        .expect(401);
      adminToken = (
        await server.http
          .post('/auth/mfa/verify')
          .send({
            mfaToken: challenge.body.mfaToken,
            method: 'recovery_code',
            code: recoveryCodes[0],
          })
          .expect(200)
      ).body.accessToken;
      await server.http
        .get('/admin/users')
        .set(...bearer(adminToken))
        .expect(200);
      await server.http
        .post('/auth/register')
        .send({ email: userEmail, password: PASSWORD })
        .expect(201);
      for (const deviceId of ['cli-device-1', 'cli-device-2']) {
        const login = await server.http
          .post('/auth/login')
          .send({ email: userEmail, password: PASSWORD, device: { id: deviceId } })
          .expect(200);
        userSessions.push(login.body.session.id);
        userTokens.push(login.body.accessToken);
      }
      if (!scratch) {
        // The embedded database is single-process: the CLI must say why it cannot run.
        const locked = await cli(['sessions:list', userEmail]);
        expectFailure(
          locked,
          /in use by process \d+ .*cannot run while a server holds the same DATA_DIR/,
        );
      }
    } finally {
      if (!scratch) await server.close();
    }

    const listed = await cli(['sessions:list', userEmail]);
    expect(listed.status).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines.map((line) => line.split(/\s+/)[0])).toEqual([...userSessions].reverse());
    expect(lines[0]).toMatch(/^\S+ {2}active {3}\S/);

    const one = await cli(['sessions:revoke', userEmail, '--session', userSessions[0]]);
    expect(one).toMatchObject({ status: 0, stdout: `revoked 1 session of ${userEmail}\n` });
    expectFailure(
      await cli(['sessions:revoke', userEmail, '--session', userSessions[0]]),
      /is not a live session/,
    );
    expect((await cli(['sessions:revoke', userEmail])).stdout).toBe(
      `revoked 1 session of ${userEmail}\n`,
    );
    const all = await cli(['sessions:list', userEmail, '--all', '--json']);
    expect(
      all.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).status),
    ).toEqual(['revoked', 'revoked']);

    expect((await cli(['admin:revoke', adminEmail])).stdout).toMatch(/^revoked admin from /);
    expectFailure(
      await cli(['admin:grant', 'nobody@example.com']),
      /^error: no user with email nobody@example.com$/,
    );

    // Effective on the next request: the demoted admin's token, the user's revoked sessions.
    if (!scratch) server = await startServer();
    try {
      const refused = await server.http
        .get('/admin/users')
        .set(...bearer(adminToken!))
        .expect(403);
      expect(refused.body.code).toBe('forbidden');
      for (const token of userTokens)
        await server.http
          .get('/auth/me')
          .set(...bearer(token))
          .expect(401);
    } finally {
      await server.close();
    }

    const exported = await cli([
      'audit:export',
      '--from',
      new Date(Date.now() - 3_600_000).toISOString(),
    ]);
    expect(exported.status).toBe(0);
    const records = exported.stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            type: string;
            sessionId: string | null;
            actorId: string | null;
            data: Record<string, unknown>;
          },
      );
    const revoked = records.filter(
      (r) => r.type === 'session.revoked' && userSessions.includes(r.sessionId ?? ''),
    );
    expect(revoked).toHaveLength(2);
    expect(revoked.every((r) => r.actorId === CLI_ACTOR_ID && r.data.reason === 'admin')).toBe(
      true,
    );
    const roleChanges = records.filter((r) => r.type === 'user.roles_changed');
    expect(roleChanges.map((r) => r.data.roles)).toEqual(
      expect.arrayContaining([['admin', 'user'], ['user']]),
    );
  });

  it("resets a user's second factors (mfa:reset), audited with the CLI as actor", async () => {
    const email = uniqueEmail('cli-mfa');
    const server = await startServer();
    let credentialId: string;
    try {
      await server.http.post('/auth/register').send({ email, password: PASSWORD }).expect(201);
      const { accessToken } = (
        await server.http.post('/auth/login').send({ email, password: PASSWORD }).expect(200)
      ).body;
      const options = (
        await server.http
          .post('/me/passkeys/options')
          .set(...bearer(accessToken))
          .expect(200)
      ).body;
      const origin = loadConfig(env).webauthn.origins[0];
      const response = new SoftAuthenticator(origin).createCredential(options);
      credentialId = (
        await server.http
          .post('/me/passkeys')
          .set(...bearer(accessToken))
          .send({ response })
          .expect(201)
      ).body.id;
    } finally {
      await server.close();
    }

    const reset = await cli(['mfa:reset', email]);
    expect(reset).toMatchObject({ status: 0, stderr: '' });
    expect(reset.stdout).toMatch(new RegExp(`^reset the second factors of ${email} \\(`));
    expectFailure(
      await cli(['mfa:reset', 'nobody@example.com']),
      /^error: no user with email nobody@example.com$/,
    );

    const exported = await cli([
      'audit:export',
      '--from',
      new Date(Date.now() - 600_000).toISOString(),
    ]);
    const records = exported.stdout
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as {
            type: string;
            actorId: string | null;
            data: Record<string, unknown>;
          },
      );
    const removed = records.find(
      (r) => r.type === 'passkey.removed' && r.data.credentialId === credentialId!,
    );
    expect(removed?.actorId).toBe(CLI_ACTOR_ID);
    expect(
      records.some(
        (r) => r.type === 'mfa.disabled' && r.actorId === CLI_ACTOR_ID && r.data.method === 'all',
      ),
    ).toBe(true);
  });

  it('users:unlock clears the admin lock and every failed-login delay of the account', async () => {
    const email = uniqueEmail('cli-unlock');
    let server = await startServer();
    try {
      await server.http.post('/auth/register').send({ email, password: PASSWORD }).expect(201);
      // Far past the account-wide ceiling, as after a long attack from many networks.
      await server.app
        .get(DataSource)
        .query(
          `INSERT INTO login_protection (account_key, scope, failures, last_failure_at) VALUES ($1, 'account', 1000, now())`,
          [email.toLowerCase()],
        );
      const held = await server.http.post('/auth/login').send({ email, password: PASSWORD });
      expect(held.status).toBe(429);
    } finally {
      if (!scratch) await server.close();
    }
    const unlocked = await cli(['users:unlock', email]);
    expect(unlocked).toMatchObject({ status: 0, stderr: '' });
    expect(unlocked.stdout).toMatch(new RegExp(`^unlocked ${email} \\(`));
    expectFailure(await cli(['users:unlock', 'nobody@example.com']), /no user with email/);
    if (!scratch) server = await startServer();
    try {
      await server.http.post('/auth/login').send({ email, password: PASSWORD }).expect(200);
    } finally {
      await server.close();
    }
  });

  it('verifies and purges the audit log', async () => {
    const verified = await cli(['audit:verify']);
    expect(verified).toMatchObject({ status: 0, stderr: '' });
    expect(verified.stdout).toMatch(/^audit chain intact: \d+ records checked\n$/);
    expect(await cli(['audit:purge'])).toMatchObject({
      status: 0,
      stdout: 'purged 0 audit records older than 90d\n',
    });
  });

  it('registers, lists and disables service clients (clients:*), the secret printed once', async () => {
    const jwksFile = join(workDir, 'client-jwks.json');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(
      jwksFile,
      JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1' }] }),
    );
    const created = await cli([
      'clients:create',
      '--name',
      'cli gateway',
      '--scope',
      'tokens:introspect',
      '--scope',
      'tokens:revoke',
    ]);
    expect(created).toMatchObject({ status: 0, stderr: '' });
    expect(created.stdout).toContain(
      '(client_secret_basic; scopes tokens:introspect tokens:revoke)',
    );
    const clientId = /^client_id: (svc_\S+)$/m.exec(created.stdout)?.[1] ?? '';
    const secret = /^client_secret: (\S+)$/m.exec(created.stdout)?.[1] ?? '';
    expect(secret).toMatch(/^[\w-]{43}$/);

    const keyed = await cli([
      'clients:create',
      '--name',
      'cli key',
      '--scope',
      'ssf:stream',
      '--jwks',
      jwksFile,
    ]);
    expect(keyed).toMatchObject({ status: 0, stderr: '' });
    expect(keyed.stdout).toContain('(private_key_jwt; scopes ssf:stream)');
    expect(keyed.stdout).not.toContain('client_secret');
    expectFailure(
      await cli(['clients:create', '--name', 'x', '--scope', 'admin']),
      /^error: scopes must be one or more of/,
    );

    const listed = await cli(['clients:list']);
    expect(listed).toMatchObject({ status: 0, stderr: '' });
    expect(listed.stdout).toContain(clientId);
    expect(listed.stdout).toContain('cli key');
    expect(listed.stdout).not.toContain(secret);

    const grant = (server: { http: ReturnType<typeof request> }) =>
      server.http
        .post('/oauth/token')
        .type('form')
        .auth(clientId, secret)
        .send({ grant_type: 'client_credentials' });
    let server = await startServer();
    try {
      expect((await grant(server)).status).toBe(200);
    } finally {
      await server.close();
    }

    expect(await cli(['clients:delete', clientId])).toMatchObject({
      status: 0,
      stdout: `disabled service client ${clientId}\n`,
    });
    expectFailure(await cli(['clients:delete', clientId]), /^error: No such service client$/);
    server = await startServer();
    try {
      const refused = await grant(server);
      expect(refused.status).toBe(401);
      expect(refused.body.error).toBe('invalid_client');
    } finally {
      await server.close();
    }
  });

  it('rotates the generated signing key in the database', async () => {
    const generated = { JWT_PRIVATE_KEY: '', JWT_ALGORITHM: 'ES256' };
    const first = await cli(['keys:rotate'], generated);
    expect(first).toMatchObject({ status: 0, stderr: '' });
    expect(first.stdout).toMatch(/^new ES256 signing key \S+ published; it signs from \S+/);
    const second = await cli(['keys:rotate'], generated);
    expect(second).toMatchObject({ status: 0, stderr: '' });
    // The key the first rotation added is now replaced, with a retirement time.
    const firstKid = /signing key (\S+) published/.exec(first.stdout)?.[1] ?? '';
    expect(second.stdout).toContain(`${firstKid} verifies until `);
  });
});
