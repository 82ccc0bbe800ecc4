import { ApiProperty } from '@nestjs/swagger';
import type { AlertSeverity, AlertStatus } from '../alert.entity';
import { ALERT_SEVERITIES, ALERT_STATUSES } from './alert-query.dto';
import { PageDto } from '../../common/page-dto.factory';
import type { AlertView } from '../alert-view';

/** A security alert (documents AlertView). */
export class AlertDto implements AlertView {
  @ApiProperty({ format: 'uuid', example: '7c2b9e41-3d5f-4a6b-8c7d-9e0f1a2b3c4d' })
  id!: string;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The user concerned; null for alerts about an IP only',
    example: '3f0c9a52-8a6e-4c4b-9f0e-2d2f5e1b7a10',
  })
  userId!: string | null;

  @ApiProperty({ description: 'The rule that raised it', example: 'user.locked' })
  rule!: string;

  @ApiProperty({ enum: ALERT_SEVERITIES, example: 'high' })
  severity!: AlertSeverity;

  @ApiProperty({ enum: ALERT_STATUSES, example: 'open' })
  status!: AlertStatus;

  @ApiProperty({ example: 'Account locked after repeated failed logins' })
  title!: string;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({
    type: [String],
    description: 'Ids of the audit events that triggered it',
    example: ['0d5c7b8e-2f4a-4c1b-9e3d-6a7b8c9d0e1f'],
  })
  evidenceEventIds!: string[];

  @ApiProperty({ description: 'How often it fired while open', example: 1 })
  occurrences!: number;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T08:00:00.000Z' })
  firstSeenAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T08:05:00.000Z' })
  lastSeenAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T08:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  statusChangedAt!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The admin who last changed the status',
    example: null,
  })
  statusChangedBy!: string | null;
}

/** A keyset page of alerts: `{ items, nextCursor }`. */
export class AlertPageDto extends PageDto(AlertDto) {}
