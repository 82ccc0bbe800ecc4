/**
 * The README's "From your own service" snippets, run: examples/readme/own-service.mts (which
 * check:examples keeps identical to the README) is transpiled as it stands, its baseUrl pointed
 * at a spawned Tessera whose PUBLIC_URL is the snippet's issuer, and run in its own Node
 * process with the built @tessera/verifier. The snippet's Express app is then served and called:
 * a valid token passes, none is refused, and a logout is refused within a second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { buildVerifierPackage } from './support/verifier-package';
import { PROJECT_ROOT, spawnInstance, type Instance } from './support/spawn-instance';

const SNIPPET = join(PROJECT_ROOT, 'examples/readme/own-service.mts');
/** Under node_modules, so the snippet's imports resolve to this checkout's packages. */
const RUN_DIR = join(PROJECT_ROOT, 'node_modules/.cache/tessera-readme-own-service');
const ISSUER = 'https://auth.example.com'; // what the snippet says
const FEED_SECRET = 'readme-own-service-feed-secret-0123456789';
const PASSWORD = 'correct horse battery staple';

/** The snippet as ESM JavaScript, reaching Tessera at `baseUrl` instead of the example host. */
function transpiledSnippet(baseUrl: string): string {
  const source = readFileSync(SNIPPET, 'utf8');
  const line = `baseUrl: '${ISSUER}',`;
  if (!source.includes(line)) throw new Error(`${SNIPPET} no longer has "${line}"`);
  return ts.transpileModule(source.replace(line, `baseUrl: '${baseUrl}',`), {
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2023,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
    },
    fileName: 'own-service.mts',
  }).outputText;
}

/** Serves the snippet's `app` on a free port; resolves with its address once listening. */
const SERVE = `
const { app } = await import('./own-service.mjs');
const server = app.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ port: server.address().port })));
`;

async function startService(
  baseUrl: string,
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  mkdirSync(RUN_DIR, { recursive: true });
  writeFileSync(join(RUN_DIR, 'own-service.mjs'), transpiledSnippet(baseUrl));
  writeFileSync(join(RUN_DIR, 'serve.mjs'), SERVE);
  const child = spawn(process.execPath, [join(RUN_DIR, 'serve.mjs')], {
    cwd: RUN_DIR,
    env: { PATH: process.env.PATH ?? '', TESSERA_REVOCATION_FEED_SECRET: FEED_SECRET },
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the snippet did not listen: ${stderr}`)),
      30_000,
    );
    child.once('exit', (code) => reject(new Error(`the snippet exited (${code}): ${stderr}`)));
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  return { url: `http://127.0.0.1:${port}/api/me`, child, output: () => stderr };
}

describe('README "From your own service", run against a spawned Tessera', () => {
  let tessera: Instance | undefined;
  let service: { url: string; child: ChildProcess; output: () => string } | undefined;

  beforeAll(async () => {
    buildVerifierPackage();
    tessera = await spawnInstance({
      env: { PUBLIC_URL: ISSUER, REVOCATION_FEED_SECRET: FEED_SECRET },
    });
    // The snippet awaits verifier.ready(): it listens only once the feed's snapshot arrived.
    service = await startService(tessera.baseUrl);
  }, 120_000);

  afterAll(async () => {
    if (service && service.child.exitCode === null) {
      const exited = new Promise((done) => service!.child.once('exit', done));
      service.child.kill('SIGTERM');
      await exited;
    }
    await tessera?.stop();
  });

  async function signIn(): Promise<{ token: string; userId: string; sessionId: string }> {
    const email = `readme.${process.pid}.${Date.now()}@example.com`;
    const post = (path: string): Promise<Response> =>
      fetch(`${tessera!.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
    expect((await post('/auth/register')).status).toBe(201);
    const res = await post('/auth/login');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      accessToken: string;
      user: { id: string };
      session: { id: string };
    };
    return { token: body.accessToken, userId: body.user.id, sessionId: body.session.id };
  }

  const me = (token?: string): Promise<Response> =>
    fetch(service!.url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers /api/me with the token’s claims, and 401 problem+json without a token', async () => {
    const { token, userId, sessionId } = await signIn();
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: userId, session: sessionId, roles: ['user'] });

    const refused = await me();
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('refuses the token within 1 s of its logout', async () => {
    const { token } = await signIn();
    expect((await me(token)).status).toBe(200);
    const logout = await fetch(`${tessera!.baseUrl}/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(logout.status).toBe(204);
    const started = performance.now();
    let res = await me(token);
    while (res.status === 200 && performance.now() - started < 3000) res = await me(token);
    const ms = performance.now() - started;
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'session_revoked' });
    console.log(`README own-service snippet: logout -> 401 session_revoked in ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThan(1000);
  });
});
