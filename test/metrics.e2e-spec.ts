import { bearer, signedInUser } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

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
    expect(text).toMatch(
      /tessera_http_request_duration_seconds_bucket\{method="GET",route="\/auth\/me",le="\+Inf"\} 2/,
    );
    expect(text).not.toContain(user.email);
    expect(text).not.toContain(user.session.id);
  });
});
