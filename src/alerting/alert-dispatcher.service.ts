import { Inject, Injectable, Logger } from '@nestjs/common';
import { OnLifecycleEvent } from '../events/on-lifecycle-event.decorator';
import type { LifecycleEvent } from '../events/event-catalog';
import { TransactionRunner } from '../events/transaction-runner.service';
import { AlertRepository } from './alert.repository';
import { ALERT_CHANNELS, AlertChannel } from './alert-channel';
import { AlertingSettings } from './alerting-settings';
import { AlertsService } from './alerts.service';
import type { AlertView } from './alert-view';
import { describeError } from '../common/describe-error';

async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Hands each raised alert to every channel once. Runs as an `alert.raised` listener, so it
 * inherits the outbox's guarantees: if a channel fails, the event is retried later and only the
 * channels without a dispatch record get it again.
 */
@Injectable()
export class AlertDispatcher {
  private readonly logger = new Logger(AlertDispatcher.name);

  constructor(
    @Inject(ALERT_CHANNELS) private readonly channels: AlertChannel[],
    private readonly alerts: AlertsService,
    private readonly dispatches: AlertRepository,
    private readonly transactions: TransactionRunner,
    private readonly settings: AlertingSettings,
  ) {}

  @OnLifecycleEvent('alert.raised')
  async onAlertRaised(event: LifecycleEvent<'alert.raised'>): Promise<void> {
    const alert = await this.alerts.get(event.data.alertId);
    if (!alert) return;
    const done = await this.dispatches.dispatchedChannels(alert.id);
    const failures: string[] = [];
    for (const channel of this.channels) {
      if (done.has(channel.name)) continue;
      try {
        await this.deliver(channel, alert);
      } catch (error) {
        const message = describeError(error);
        this.logger.warn(`alert ${alert.id}: channel ${channel.name} failed: ${message}`);
        failures.push(channel.name);
      }
    }
    if (failures.length > 0)
      throw new Error(`alert ${alert.id} not delivered to: ${failures.join(', ')}`);
  }

  private async deliver(channel: AlertChannel, alert: AlertView): Promise<void> {
    await withTimeout(
      channel.deliver(alert),
      this.settings.channelTimeoutMs,
      `channel ${channel.name}`,
    );
    await this.transactions.run((tx) => this.dispatches.recordDispatch(tx, alert.id, channel.name));
  }
}
