import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { OnLifecycleEvent } from '../events/on-lifecycle-event.decorator';
import type { LifecycleEvent } from '../events/event-catalog';
import { OutboxStats } from '../events/outbox-stats.service';
import { SessionMetricsSource } from './session-metrics-source';

const HTTP_DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

let processRegistry: Registry | undefined;

/**
 * The Node process metrics, collected once per process: they describe the process, not an app,
 * and prom-client's collectors (a GC observer, an event-loop monitor) live as long as the
 * process, so one set per app would leak with every app a process starts (a test run boots
 * ~90).
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * What Tessera exposes at GET /metrics: HTTP traffic, lifecycle events, the hot-path state and
 * the Node process defaults. The registry belongs to this service, not prom-client's global
 * one, so two apps in one process (tests) keep their own series. Labels never carry personal
 * data: routes are patterns, never raw URLs.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'tessera_http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'tessera_lifecycle_events_total',
    help: 'Published lifecycle events by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  constructor(sessions: SessionMetricsSource, outbox: OutboxStats) {
    this.gauge('tessera_revocation_view_entries', 'Recently ended sessions held in memory', () =>
      sessions.revocationViewSize(),
    );
    this.gauge('tessera_outbox_pending_events', 'Committed events not yet published', () =>
      outbox.pendingCount(),
    );
    this.gauge('tessera_active_sessions', 'Sessions currently active', () =>
      sessions.liveSessionCount(),
    );
  }

  /** The exposition text, with every gauge read from its owner at this scrape. */
  async scrape(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${own}${process}`;
  }

  @OnLifecycleEvent('**')
  countEvent(event: LifecycleEvent): void {
    this.events.inc({ type: event.type });
  }

  /** A gauge whose value is read from its owner when scraped, never cached between scrapes. */
  private gauge(name: string, help: string, read: () => Promise<number> | number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }
}
