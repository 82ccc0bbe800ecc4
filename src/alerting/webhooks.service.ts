import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { AppException } from '../common/app.exception';
import { SecretBox } from '../common/secret-box';
import type { Page } from '../common/keyset-cursor';
import { TransactionRunner } from '../events/transaction-runner.service';
import type { AlertSeverity } from './alert.entity';
import { type AlertView, SEVERITY_RANK } from './alert-view';
import type { WebhookDeliveryEntity, WebhookDeliveryStatus } from './webhook-delivery.entity';
import type { WebhookEntity } from './webhook.entity';
import { WebhookRepository } from './webhook.repository';
import { AppConfig } from '../config/app-config';
import { assertSafeWebhookUrl } from '../common/webhook-target-guard';

export interface WebhookView {
  id: string;
  url: string;
  description: string | null;
  minSeverity: AlertSeverity;
  active: boolean;
  createdAt: string;
}

/** Returned once, at creation: the only time the signing secret is shown. */
export interface CreatedWebhookView extends WebhookView {
  secret: string;
}

export interface NewWebhook {
  url: string;
  description?: string;
  minSeverity?: AlertSeverity;
}

/** Secrets written before they were sealed at rest start with this; sealed ones never do. */
export const PLAINTEXT_SECRET_PREFIX = 'whsec_';

/** Associated data binding a sealed secret to its webhook (a swapped value does not open). */
export const webhookSecretContext = (id: string): string => `webhook:${id}`;

/** The signing secret of a stored webhook, sealed or (not yet re-sealed) plaintext. */
export function openWebhookSecret(box: SecretBox, id: string, stored: string): string {
  return stored.startsWith(PLAINTEXT_SECRET_PREFIX)
    ? stored
    : box.open(stored, webhookSecretContext(id));
}

function toView(hook: WebhookEntity): WebhookView {
  return {
    id: hook.id,
    url: hook.url,
    description: hook.description,
    minSeverity: hook.minSeverity,
    active: hook.active,
    createdAt: hook.createdAt.toISOString(),
  };
}

/** One delivery of an alert to a webhook: its state and last attempt (never the secret). */
export interface WebhookDeliveryView {
  id: string;
  alertId: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  lastDurationMs: number | null;
  createdAt: string;
  deliveredAt: string | null;
}

function toDeliveryView(row: WebhookDeliveryEntity): WebhookDeliveryView {
  return {
    id: row.id,
    alertId: row.alertId,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastDurationMs: row.lastDurationMs,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}

/** Webhook registrations and the enqueueing of deliveries. */
@Injectable()
export class WebhooksService implements OnModuleInit {
  private readonly logger = new Logger(WebhooksService.name);

  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly transactions: TransactionRunner,
    private readonly config: AppConfig,
    private readonly box: SecretBox,
  ) {}

  /**
   * Seals secrets stored in plaintext by earlier versions. A migration cannot (the encryption
   * key is not the database's), so it happens at start; until then the worker recognises the
   * plaintext prefix. Idempotent, and harmless when several instances start together.
   */
  async onModuleInit(): Promise<void> {
    try {
      const sealed = await this.transactions.run(async (tx) => {
        const legacy = await this.webhooks.lockPlaintextSecrets(tx, PLAINTEXT_SECRET_PREFIX);
        for (const hook of legacy) {
          const value = this.box.seal(hook.secret, webhookSecretContext(hook.id));
          await this.webhooks.setSecret(tx, hook.id, value);
        }
        return legacy.length;
      });
      if (sealed > 0) this.logger.log(`sealed ${sealed} webhook secret(s) stored in plaintext`);
    } catch (error) {
      this.logger.warn(`webhook secrets not sealed: ${(error as Error).message}`);
    }
  }

  async create(input: NewWebhook, actorId: string): Promise<CreatedWebhookView> {
    // SSRF: refuse internal targets now; the worker checks again (and pins) at each delivery.
    await assertSafeWebhookUrl(input.url, this.config.webhookTargets);
    const id = randomUUID();
    const secret = `${PLAINTEXT_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const hook = await this.transactions.run(async (tx) => {
      const created = this.webhooks.build(tx, {
        id,
        url: input.url,
        // At rest only sealed (AES-256-GCM, bound to the id); shown in plaintext once, below.
        secret: this.box.seal(secret, webhookSecretContext(id)),
        description: input.description ?? null,
        minSeverity: input.minSeverity ?? 'low',
        active: true,
        createdAt: tx.now(),
        createdBy: actorId,
      });
      await this.webhooks.insert(tx, created);
      await tx.record(
        'webhook.created',
        { userId: actorId },
        { webhookId: id, url: created.url, minSeverity: created.minSeverity, actorId },
      );
      return created;
    });
    return { ...toView(hook), secret };
  }

  async list(page: { limit: number; cursor?: string }): Promise<Page<WebhookView>> {
    const { items, nextCursor } = await this.webhooks.page(page);
    return { items: items.map(toView), nextCursor };
  }

  /** A webhook's delivery log, newest first; 404 for an unknown webhook. */
  async deliveries(
    id: string,
    page: { limit: number; cursor?: string },
  ): Promise<Page<WebhookDeliveryView>> {
    if (!(await this.webhooks.exists(id))) throw new AppException('not_found', 'Webhook not found');
    const { items, nextCursor } = await this.webhooks.deliveriesPage(id, page);
    return { items: items.map(toDeliveryView), nextCursor };
  }

  /** Deletes the webhook; its queued deliveries go with it (FK cascade). */
  async remove(id: string, actorId: string): Promise<void> {
    const deleted = await this.transactions.run(async (tx) => {
      if (!(await this.webhooks.delete(tx, id))) return false;
      await tx.record('webhook.deleted', { userId: actorId }, { webhookId: id, actorId });
      return true;
    });
    if (!deleted) throw new AppException('not_found', 'Webhook not found');
  }

  /** Queues one delivery of the alert per active webhook that wants its severity; idempotent. */
  async enqueue(alert: AlertView): Promise<number> {
    const severities = (Object.keys(SEVERITY_RANK) as AlertSeverity[]).filter(
      (severity) => SEVERITY_RANK[severity] <= SEVERITY_RANK[alert.severity],
    );
    const payload = { type: 'alert.raised', alert };
    return this.transactions.run((tx) => this.webhooks.enqueue(tx, alert.id, payload, severities));
  }
}
