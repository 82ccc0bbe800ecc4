import { Injectable } from '@nestjs/common';
import { SessionMetricsSource } from '../metrics/session-metrics-source';
import { RevocationView } from './revocation-view.service';
import { SessionRepository } from './session.repository';

/** Sessions' figures for /metrics (the port is the metrics module's). */
@Injectable()
export class SessionMetrics extends SessionMetricsSource {
  constructor(
    private readonly revocations: RevocationView,
    private readonly sessions: SessionRepository,
  ) {
    super();
  }

  revocationViewSize(): number {
    return this.revocations.size;
  }

  liveSessionCount(): Promise<number> {
    return this.sessions.countLive();
  }
}
