import { Injectable } from '@nestjs/common';
import { OnLifecycleEvent } from '../events/on-lifecycle-event.decorator';
import type { LifecycleEvent } from '../events/event-catalog';
import { OutboxStats } from '../events/outbox-stats.service';
import { Counter, Gauge, Histogram, MetricsRegistry } from './metrics-registry';
import { SessionMetricsSource } from './session-metrics-source';

/** What Tessera exposes at GET /metrics: HTTP traffic, lifecycle events, the hot-path state. */
@Injectable()
export class MetricsService {
  readonly registry = new MetricsRegistry();
  readonly httpRequests = this.registry.register(
    new Counter('tessera_http_requests_total', 'HTTP requests by method, route and status'),
  );
  readonly httpDuration = this.registry.register(
    new Histogram(
      'tessera_http_request_duration_seconds',
      'HTTP request duration by method and route',
      [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    ),
  );
  readonly events = this.registry.register(
    new Counter('tessera_lifecycle_events_total', 'Published lifecycle events by type'),
  );

  constructor(sessions: SessionMetricsSource, outbox: OutboxStats) {
    this.registry.register(
      new Gauge('tessera_revocation_view_entries', 'Recently ended sessions held in memory', () =>
        sessions.revocationViewSize(),
      ),
    );
    this.registry.register(
      new Gauge('tessera_outbox_pending_events', 'Committed events not yet published', () =>
        outbox.pendingCount(),
      ),
    );
    this.registry.register(
      new Gauge('tessera_active_sessions', 'Sessions currently active', () =>
        sessions.liveSessionCount(),
      ),
    );
  }

  @OnLifecycleEvent('**')
  countEvent(event: LifecycleEvent): void {
    this.events.inc({ type: event.type });
  }
}
