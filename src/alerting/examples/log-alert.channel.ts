import { Injectable, Logger } from '@nestjs/common';
import { AlertChannel } from '../alert-channel';
import type { AlertView } from '../alert-view';

/**
 * Example of a custom channel: one structured warning per alert in the service log, where a
 * log shipper (Loki, CloudWatch, Datadog) can route it. Register it with
 * `AlertingModule.forRoot({ channels: [LogAlertChannel] })`.
 */
@Injectable()
export class LogAlertChannel extends AlertChannel {
  readonly name = 'log';
  private readonly logger = new Logger('SecurityAlert');

  async deliver(alert: AlertView): Promise<void> {
    this.logger.warn({
      msg: `security alert: ${alert.title}`,
      alertId: alert.id,
      rule: alert.rule,
      severity: alert.severity,
      userId: alert.userId,
      evidence: alert.evidenceEventIds,
    });
  }
}
