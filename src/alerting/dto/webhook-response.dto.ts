import { ApiProperty } from '@nestjs/swagger';
import type { AlertSeverity } from '../alert.entity';
import { ALERT_SEVERITIES } from './alert-query.dto';
import { PageDto } from '../../common/page-dto.factory';
import type { CreatedWebhookView, WebhookView } from '../webhooks.service';

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
