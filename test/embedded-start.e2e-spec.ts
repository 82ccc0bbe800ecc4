import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, SERVER_SCRIPT, spawnInstance } from './support/spawn-instance';

const PASSWORD = 'correct horse battery staple';

// Each test starts real server processes; on a loaded machine that takes far longer than
// Jest's 30 s default.
jest.setTimeout(150_000);

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('the server as a user starts it (embedded database, no DATABASE_URL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-start-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // The 15 s start-up target is measured by `npm run bench` (bench/startup.bench.ts) on a quiet
  // machine; here other suites share the CPU, so the deadline only guards against a hang.
  it('serves ready and /docs, keeps data across a restart, and stops gracefully', async () => {
    // A generated key (no JWT_PRIVATE_KEY), kept in DATA_DIR like a first start on a new machine.
    const env = { DATA_DIR: dataDir, JWT_PRIVATE_KEY: '' };
    const started = Date.now();
    const first = await spawnInstance({ env, readyTimeoutMs: 60_000 });
    const docs = await fetch(`${first.baseUrl}/docs`);
    expect(docs.status).toBe(200);
    const startupMs = Date.now() - started;
    console.log(`first start on a new data directory: ready and docs in ${startupMs} ms`);
    const banner = first
      .logs()
      .find((line) => typeof line.msg === 'string' && line.msg.includes('listening'));
    expect(banner).toMatchObject({
      api: first.baseUrl.replace('127.0.0.1', '127.0.0.1'),
      docs: `${first.baseUrl}/docs`,
    });
    // The generated signing key lives in the database, sealed: no private key file is written.
    expect(readdirSync(join(dataDir, 'keys')).filter((f) => f.endsWith('.pem'))).toHaveLength(0);

    expect(
      (
        await post(`${first.baseUrl}/auth/register`, {
          email: 'keep@example.com',
          password: PASSWORD,
        })
      ).status,
    ).toBe(201);
    const login = await post(`${first.baseUrl}/auth/login`, {
      email: 'keep@example.com',
      password: PASSWORD,
    });
    const { accessToken } = (await login.json()) as { accessToken: string };

    // An in-flight request finishes although SIGTERM arrives while it runs.
    const inFlight = post(`${first.baseUrl}/auth/login`, {
      email: 'keep@example.com',
      password: PASSWORD,
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const exit = await first.stop();
    expect((await inFlight).status).toBe(200);
    expect(exit).toEqual({ code: 0, signal: null });

    const second = await spawnInstance({ env, readyTimeoutMs: 60_000 });
    try {
      const again = await post(`${second.baseUrl}/auth/login`, {
        email: 'keep@example.com',
        password: PASSWORD,
      });
      expect(again.status).toBe(200);
      // Same generated key: the token from before the restart is still valid.
      const me = await fetch(`${second.baseUrl}/auth/me`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      expect(me.status).toBe(200);
    } finally {
      await second.stop();
    }
  });

  it('refuses a second process on the same data directory with a clear message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-lock-'));
    const first = await spawnInstance({ env: { DATA_DIR: dir } });
    try {
      const second = await runToExit({ DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1' });
      expect(second.code).not.toBe(0);
      expect(second.stderr).toMatch(/in use by process \d+/);
    } finally {
      await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [SERVER_SCRIPT], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stderr };
}

describe('bad configuration fails fast', () => {
  it.each([
    ['ACCESS_TOKEN_TTL', 'banana'],
    ['PORT', 'eighty'],
    ['JWT_ALGORITHM', 'HS256'],
    ['DATABASE_URL', 'mysql://root:secret@db/x'],
  ])('%s=%s stops the process with a message naming the variable', async (name, value) => {
    const started = Date.now();
    const { code, stderr } = await runToExit({
      [name]: value,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-cfg-')),
    });
    expect(code).toBe(78);
    expect(stderr).toContain(`${name}:`);
    expect(stderr).not.toContain('secret');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
