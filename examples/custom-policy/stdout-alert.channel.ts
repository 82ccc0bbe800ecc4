import { Injectable } from '@nestjs/common';
import { AlertChannel } from '../../src/alerting/alert-channel';
import type { AlertView } from '../../src/alerting/alert-view';

/**
 * Writes each security alert as one JSON line on stdout, tagged so a log shipper (Vector,
 * Fluent Bit, the CloudWatch agent) can route it to the on-call channel.
 */
@Injectable()
export class StdoutAlertChannel extends AlertChannel {
  readonly name = 'stdout';

  async deliver(alert: AlertView): Promise<void> {
    const line = {
      kind: 'security-alert',
      id: alert.id,
      rule: alert.rule,
      severity: alert.severity,
      title: alert.title,
      userId: alert.userId,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
}
