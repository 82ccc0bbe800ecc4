import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUrl, MaxLength } from 'class-validator';
import type { AlertSeverity } from '../alert.entity';
import { ALERT_SEVERITIES } from './alert-query.dto';

/** Register an endpoint for alerts; the response carries its signing secret, once. */
export class CreateWebhookDto {
  /** Where alerts are POSTed: https, to a public address (checked again at every delivery). */
  @ApiProperty({
    description:
      'Where alerts are POSTed: https (http only with WEBHOOK_ALLOW_HTTP), to a host that ' +
      'resolves only to public addresses (checked at creation and at every delivery)',
    format: 'uri',
    maxLength: 2048,
    example: 'https://hooks.example.com/tessera',
  })
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  url!: string;

  /** A note for people. */
  @ApiPropertyOptional({ description: 'A note for people', maxLength: 200, example: 'SOC pager' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;

  /** Only alerts of at least this severity (default low: all). */
  @ApiPropertyOptional({
    enum: ALERT_SEVERITIES,
    default: 'low',
    description: 'Only alerts of at least this severity (default low: all)',
    example: 'high',
  })
  @IsOptional()
  @IsIn(ALERT_SEVERITIES)
  minSeverity?: AlertSeverity;
}
