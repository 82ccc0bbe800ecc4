import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto';
import type { AlertSeverity, AlertStatus } from '../alert.entity';

export const ALERT_STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'resolved'];
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['low', 'medium', 'high', 'critical'];

/** The caller's own alerts. */
export class MyAlertsQueryDto extends PageQueryDto {
  /** Only alerts in this status. */
  @ApiPropertyOptional({ enum: ALERT_STATUSES, description: 'Only alerts in this status' })
  @IsOptional()
  @IsIn(ALERT_STATUSES)
  status?: AlertStatus;
}

/** Admin search over all alerts. */
export class AlertQueryDto extends MyAlertsQueryDto {
  /** Only alerts about this user. */
  @ApiPropertyOptional({ format: 'uuid', description: 'Only alerts about this user' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  /** Only alerts of this severity. */
  @ApiPropertyOptional({ enum: ALERT_SEVERITIES, description: 'Only alerts of this severity' })
  @IsOptional()
  @IsIn(ALERT_SEVERITIES)
  severity?: AlertSeverity;

  /** Only alerts of this rule. */
  @ApiPropertyOptional({
    description: 'Only alerts of this rule, e.g. `user.locked`',
    maxLength: 64,
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  rule?: string;
}

/** Acknowledge, resolve or reopen an alert. */
export class UpdateAlertDto {
  @ApiProperty({
    enum: ALERT_STATUSES,
    description: 'acknowledged or resolved; open reopens it',
    example: 'acknowledged',
  })
  @IsIn(ALERT_STATUSES)
  status!: AlertStatus;
}
