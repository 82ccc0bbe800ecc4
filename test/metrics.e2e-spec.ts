import { bearer, signedInUser } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

/** The value of the series `name` with exactly these labels, in any order; undefined if absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  for (const line of text.split('\n')) {
    const match = /^([\w:]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const pairs = [...match[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]);
    if (JSON.stringify(pairs.sort()) === wanted) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('exposes Prometheus text with traffic, events and hot-path state, and no personal data', async () => {
    const user = await signedInUser(t);
    await t.http
      .get('/auth/me')
      .set(...bearer(user.accessToken))
      .expect(200);
    await t.http.get('/auth/me').expect(401);
    await t.http
      .post('/auth/logout')
      .set(...bearer(user.accessToken))
      .expect(204);
    await t.flushEvents();

    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(text).toMatch(
      /tessera_http_requests_total\{method="GET",route="\/auth\/me",status="200"\} 1/,
    );
    expect(text).toMatch(
      /tessera_http_requests_total\{method="GET",route="\/auth\/me",status="401"\} 1/,
    );
    expect(text).toMatch(/tessera_lifecycle_events_total\{type="session.revoked"\} 1/);
    expect(text).toMatch(/tessera_revocation_view_entries 1/);
    expect(text).toMatch(/tessera_outbox_pending_events 0/);
    expect(text).toMatch(/^tessera_active_sessions \d+$/m);
    // prom-client's default Node process metrics, from this app's own registry.
    expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    // The exposition format leaves label order free (prom-client writes `le` first).
    expect(
      sample(text, 'tessera_http_request_duration_seconds_bucket', {
        method: 'GET',
        route: '/auth/me',
        le: '+Inf',
      }),
    ).toBe(2);
    expect(text).not.toContain(user.email);
    expect(text).not.toContain(user.session.id);
  });
});
