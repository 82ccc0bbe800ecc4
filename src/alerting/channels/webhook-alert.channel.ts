import { Injectable } from '@nestjs/common';
import { AlertChannel } from '../alert-channel';
import type { AlertView } from '../alert-view';
import { WebhooksService } from '../webhooks.service';
import { WebhookWorker } from '../webhook-worker.service';

/** Queues the alert for every registered webhook; the worker sends it in the background. */
@Injectable()
export class WebhookAlertChannel extends AlertChannel {
  readonly name = 'webhook';

  constructor(
    private readonly webhooks: WebhooksService,
    private readonly worker: WebhookWorker,
  ) {
    super();
  }

  async deliver(alert: AlertView): Promise<void> {
    if ((await this.webhooks.enqueue(alert)) > 0) this.worker.kick();
  }
}
