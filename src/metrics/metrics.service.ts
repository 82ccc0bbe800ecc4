import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { LifecycleEvent } from '../events/event-catalog';
import { RevocationView } from '../sessions/revocation-view.service';
import { Counter, Gauge, Histogram, MetricsRegistry } from './metrics-registry';

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

  constructor(@InjectDataSource() dataSource: DataSource, revocations: RevocationView) {
    this.registry.register(
      new Gauge(
        'tessera_revocation_view_entries',
        'Recently ended sessions held in memory',
        () => revocations.size,
      ),
    );
    this.registry.register(
      new Gauge('tessera_outbox_pending_events', 'Committed events not yet published', async () => {
        const [row] = await dataSource.query<Array<{ n: number }>>(
          'SELECT count(*)::int AS n FROM outbox_events WHERE published_at IS NULL',
        );
        return row.n;
      }),
    );
    this.registry.register(
      new Gauge('tessera_active_sessions', 'Sessions currently active', async () => {
        const [row] = await dataSource.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM sessions WHERE status = 'active' AND expires_at > now() AND idle_expires_at > now()`,
        );
        return row.n;
      }),
    );
  }

  @OnEvent('**', { suppressErrors: false })
  countEvent(event: LifecycleEvent): void {
    this.events.inc({ type: event.type });
  }
}
