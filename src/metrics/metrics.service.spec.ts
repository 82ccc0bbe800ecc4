import type { OutboxStats } from '../events/outbox-stats.service';
import { MetricsService } from './metrics.service';
import { SessionMetricsSource } from './session-metrics-source';

class FakeSessions extends SessionMetricsSource {
  viewSize = 0;
  live = 0;
  revocationViewSize(): number {
    return this.viewSize;
  }
  liveSessionCount(): Promise<number> {
    return Promise.resolve(this.live);
  }
}

function fakeOutbox(pending: () => number): OutboxStats {
  return { pendingCount: () => Promise.resolve(pending()) } as Pick<
    OutboxStats,
    'pendingCount'
  > as OutboxStats;
}

function metricsWith(sessions = new FakeSessions(), pending = () => 0): MetricsService {
  return new MetricsService(sessions, fakeOutbox(pending));
}

describe('MetricsService', () => {
  it('reads the gauges from their owners at each scrape', async () => {
    const sessions = new FakeSessions();
    let pending = 3;
    const sut = metricsWith(sessions, () => pending);
    sessions.viewSize = 2;
    sessions.live = 5;
    expect(await sut.scrape()).toMatch(/^tessera_revocation_view_entries 2$/m);

    sessions.viewSize = 7;
    sessions.live = 1;
    pending = 0;
    const text = await sut.scrape();
    expect(text).toMatch(/^tessera_revocation_view_entries 7$/m);
    expect(text).toMatch(/^tessera_active_sessions 1$/m);
    expect(text).toMatch(/^tessera_outbox_pending_events 0$/m);
  });

  it('keeps its series in its own registry, so two apps in one process never mix', async () => {
    const first = metricsWith();
    const second = metricsWith();
    first.countEvent({ type: 'session.revoked' } as Parameters<MetricsService['countEvent']>[0]);
    first.httpRequests.inc({ method: 'GET', route: '/auth/me', status: '200' });

    expect(await first.scrape()).toMatch(
      /^tessera_lifecycle_events_total\{type="session.revoked"\} 1$/m,
    );
    const other = await second.scrape();
    expect(other).not.toContain('session.revoked');
    expect(other).not.toContain('route="/auth/me"');
  });

  it('adds the Node process metrics', async () => {
    const text = await metricsWith().scrape();
    expect(text).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
    expect(text).toMatch(/^# TYPE nodejs_heap_size_used_bytes gauge$/m);
    expect(text).toMatch(/^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
  });
});
