import { IsIn, IsOptional, IsString, IsUrl, MaxLength } from 'class-validator';
import type { AlertSeverity } from '../alert.entity';
import { ALERT_SEVERITIES } from './alert-query.dto';

/** Register an endpoint for alerts; the response carries its signing secret, once. */
export class CreateWebhookDto {
  /** Where alerts are POSTed (http or https). */
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  url!: string;

  /** A note for people. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;

  /** Only alerts of at least this severity (default low: all). */
  @IsOptional()
  @IsIn(ALERT_SEVERITIES)
  minSeverity?: AlertSeverity;
}
