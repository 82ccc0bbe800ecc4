import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PASSWORD, uniqueEmail } from './support/auth-client';
import { type Instance, PROJECT_ROOT, runToExit, spawnInstance } from './support/spawn-instance';

const CHECK = join(PROJECT_ROOT, 'scripts', 'check-readme-examples.js');
const EXAMPLE_SERVER = 'dist/examples/custom-policy/main.js';

function runCheck(readme?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, readme ? [CHECK, readme] : [CHECK], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Where the example app keeps its data: the suite's PostgreSQL, or an embedded one on disk. */
function databaseEnv(): Record<string, string> {
  const url = process.env.DATABASE_URL;
  return url
    ? { DATABASE_URL: url }
    : { DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-example-')) };
}

describe('extension without forking: examples/', () => {
  it("the README's TypeScript snippets are the compiled files under examples/", async () => {
    const ok = await runCheck();
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringMatching(/\d+ blocks match/) });

    // A README snippet edited without its file (or the reverse) is caught.
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const drifted = readme.replace("readonly name = 'pagerduty';", "readonly name = 'pager';");
    expect(drifted).not.toBe(readme);
    const path = join(mkdtempSync(join(tmpdir(), 'tessera-readme-')), 'README.md');
    writeFileSync(path, drifted);
    const failed = await runCheck(path);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('differs from examples/readme/alerting.ts');
  });

  describe('examples/custom-policy: its own session policy and alert channel', () => {
    let server: Instance;
    const adminEmail = uniqueEmail('example-admin');
    const env = databaseEnv();

    beforeAll(async () => {
      const created = await runToExit({
        args: ['admin:create', '--email', adminEmail, '--password', PASSWORD],
        env,
        timeoutMs: 80_000,
      });
      if (created.code !== 0)
        throw new Error(`admin:create failed: ${JSON.stringify(created).slice(0, 2000)}`);
      server = await spawnInstance({ script: EXAMPLE_SERVER, env, readyTimeoutMs: 60_000 });
    }, 150_000);
    afterAll(async () => {
      await server?.stop();
    });

    async function login(deviceId: string): Promise<{ status: number; body: LoginBody }> {
      const res = await fetch(`${server.baseUrl}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: adminEmail, password: PASSWORD, device: { id: deviceId } }),
      });
      return { status: res.status, body: (await res.json()) as LoginBody };
    }

    it('gives administrators 1-hour sessions, at most 2 at a time', async () => {
      const first = await login('example-laptop');
      expect(first.status).toBe(200);
      const lifetimeMs =
        Date.parse(first.body.session.expiresAt) - Date.parse(first.body.session.createdAt);
      expect(lifetimeMs).toBe(3_600_000);
      await login('example-laptop');
      await login('example-laptop');
      const sessions = await fetch(`${server.baseUrl}/sessions`, {
        headers: { authorization: `Bearer ${(await login('example-laptop')).body.accessToken}` },
      });
      expect(((await sessions.json()) as { items: unknown[] }).items).toHaveLength(2);
    });

    it('delivers security alerts through its own channel (a JSON line on stdout)', async () => {
      expect((await login('example-unknown-phone')).status).toBe(200);
      const newDevice = (): Array<Record<string, unknown>> =>
        server
          .logs()
          .filter((line) => line.kind === 'security-alert' && line.rule === 'device.new_sign_in');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && newDevice().length === 0)
        await new Promise((r) => setTimeout(r, 100));
      expect(newDevice()).toEqual([
        expect.objectContaining({ severity: expect.any(String), userId: expect.any(String) }),
      ]);
    });
  });
});

interface LoginBody {
  accessToken: string;
  session: { createdAt: string; expiresAt: string };
}
