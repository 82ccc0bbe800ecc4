import { ApiProperty } from '@nestjs/swagger';
import type { AlertSeverity } from '../alert.entity';
import { ALERT_SEVERITIES } from './alert-query.dto';
import { PageDto } from '../../common/page-dto.factory';
import type { WebhookDeliveryStatus } from '../webhook-delivery.entity';
import type { CreatedWebhookView, WebhookDeliveryView, WebhookView } from '../webhooks.service';

/** A registered alert webhook (documents WebhookView); the secret is never shown again. */
export class WebhookDto implements WebhookView {
  @ApiProperty({ format: 'uuid', example: '2e8f4a6c-1b3d-4e5f-8a9b-0c1d2e3f4a5b' })
  id!: string;

  @ApiProperty({ example: 'https://hooks.example.com/tessera' })
  url!: string;

  @ApiProperty({ type: String, nullable: true, example: 'SOC pager' })
  description!: string | null;

  @ApiProperty({ enum: ALERT_SEVERITIES, example: 'high' })
  minSeverity!: AlertSeverity;

  @ApiProperty({ example: true })
  active!: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T08:00:00.000Z' })
  createdAt!: string;
}

/** POST /admin/webhooks: the webhook plus its signing secret, shown only this once. */
export class CreatedWebhookDto extends WebhookDto implements CreatedWebhookView {
  @ApiProperty({
    description: 'HMAC-SHA256 signing secret for the X-Tessera-Signature header; shown only once',
    example: 'whsec_3q2+7w==…',
  })
  secret!: string;
}

/** A keyset page of webhooks: `{ items, nextCursor }`. */
export class WebhookPageDto extends PageDto(WebhookDto) {}

/** One delivery of an alert to a webhook, with its last outcome (documents WebhookDeliveryView). */
export class WebhookDeliveryDto implements WebhookDeliveryView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid', description: 'The alert that was (or is to be) sent' })
  alertId!: string;

  @ApiProperty({
    enum: ['pending', 'delivered', 'failed'],
    description: '`failed`: retries exhausted; `pending`: queued or waiting for a retry',
  })
  status!: WebhookDeliveryStatus;

  @ApiProperty({ description: 'Attempts made so far' })
  attempts!: number;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'Next try (pending only)',
  })
  nextAttemptAt!: string | null;

  @ApiProperty({ type: Number, nullable: true, description: "The receiver's last HTTP status" })
  lastStatusCode!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed' })
  lastError!: string | null;

  @ApiProperty({ type: Number, nullable: true })
  lastDurationMs!: number | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt!: string | null;
}

/** A keyset page of a webhook's deliveries, newest first. */
export class WebhookDeliveryPageDto extends PageDto(WebhookDeliveryDto) {}
