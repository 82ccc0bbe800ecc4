import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { TcpProxy } from './support/tcp-proxy';
import { migratedSnapshot } from './support/embedded-snapshot';
import {
  createMigratedScratchDatabase,
  serverUrl,
  type ScratchDatabase,
} from './support/test-database';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * The database behind a real TCP connection that the test cuts: the PostgreSQL server when
 * DATABASE_URL is set, otherwise PGlite served over the wire protocol.
 */
describe('database outage', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let scratch: ScratchDatabase | undefined;
  let socketServer: PGLiteSocketServer | undefined;
  let pglite: PGlite | undefined;

  // Both variants start migrated, like every test app's database: migrating through the
  // stand-in server alone took most of the 30 s hook timeout on a loaded machine.
  beforeAll(async () => {
    let target: URL;
    const server = serverUrl();
    if (server) {
      scratch = await createMigratedScratchDatabase(server);
      target = new URL(scratch.url);
    } else {
      pglite = await PGlite.create({ loadDataDir: await migratedSnapshot() });
      socketServer = new PGLiteSocketServer({
        db: pglite,
        port: 0,
        host: '127.0.0.1',
        maxConnections: 20,
      });
      await socketServer.start();
      const [, port] = socketServer.getServerConn().split(':');
      target = new URL(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`);
    }
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const viaProxy = new URL(target.toString());
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    t = await createTestApp({ databaseUrl: viaProxy.toString() });
  });

  afterAll(async () => {
    await t.close();
    await proxy.stop();
    await socketServer?.stop();
    await pglite?.close();
    await scratch?.drop();
  });

  /**
   * Readiness before the cut. The server variant must answer 200 at once. pglite-socket (the
   * embedded variant's stand-in server) funnels every connection into one PGlite backend, so a
   * background reader on another pool connection (the revocation reconciler, every second) can
   * interleave with readiness' statements and garble an answer; it gets a few tries.
   */
  async function expectReady(): Promise<void> {
    let status = (await t.http.get('/health/ready')).status;
    for (let i = 0; socketServer && i < 10 && status !== 200; i += 1) {
      status = (await t.http.get('/health/ready')).status;
    }
    expect(status).toBe(200);
  }

  it('answers 503 quickly while the database is unreachable, and recovers when it returns', async () => {
    const email = uniqueEmail();
    await register(t, email);
    await expectReady();

    await proxy.cut();
    const started = Date.now();
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', checks: { database: 'down' } });
    const login = await t.http.post('/auth/login').send({ email, password: PASSWORD });
    expect(login.status).toBe(503);
    expect(login.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(login.body.code).toBe('service_unavailable');
    expect(login.headers['retry-after']).toBeDefined();
    expect(Date.now() - started).toBeLessThan(10_000);
    await t.http.get('/health/live').expect(200);

    await proxy.restore();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i += 1) {
      status = (await t.http.get('/health/ready')).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe(200);
    if (!socketServer) {
      await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(200);
      return;
    }
    // pglite-socket (the stand-in server of the embedded variant) funnels all connections into
    // one PGlite backend and can briefly mix up reconnecting clients' unnamed prepared
    // statements; the real server variant above is strict.
    let loginStatus = 0;
    for (let i = 0; i < 20 && loginStatus !== 200; i += 1) {
      loginStatus = (await t.http.post('/auth/login').send({ email, password: PASSWORD })).status;
    }
    expect(loginStatus).toBe(200);
  });
});
