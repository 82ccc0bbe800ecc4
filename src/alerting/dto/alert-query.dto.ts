import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import type { AlertSeverity, AlertStatus } from '../alert.entity';

export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'resolved'];
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['low', 'medium', 'high', 'critical'];

/** Keyset pagination (`?limit`, `?cursor`). */
export class PageQueryDto {
  /** Page size, 1–200 (default 50). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

/** The caller's own alerts. */
export class MyAlertsQueryDto extends PageQueryDto {
  /** Only alerts in this status. */
  @IsOptional()
  @IsIn(ALERT_STATUSES)
  status?: AlertStatus;
}

/** Admin search over all alerts. */
export class AlertQueryDto extends MyAlertsQueryDto {
  /** Only alerts about this user. */
  @IsOptional()
  @IsUUID()
  userId?: string;

  /** Only alerts of this severity. */
  @IsOptional()
  @IsIn(ALERT_SEVERITIES)
  severity?: AlertSeverity;

  /** Only alerts of this rule. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  rule?: string;
}

/** Acknowledge, resolve or reopen an alert. */
export class UpdateAlertDto {
  @IsIn(ALERT_STATUSES)
  status!: AlertStatus;
}
