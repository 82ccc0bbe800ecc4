import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsIP, IsISO8601, IsOptional, IsUUID } from 'class-validator';
import type { SessionStatus } from '../../sessions/session.entity';
import { PageQueryDto } from '../../common/page-query.dto';
import { DeviceSummaryDto } from '../../devices/dto/device-view.dto';
import type { SessionView } from '../../sessions/session-views';
import { PageDto } from '../../common/page-dto.factory';

const STATUSES: readonly SessionStatus[] = ['active', 'revoked', 'expired'];

export class SearchSessionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ enum: STATUSES, description: '`active` means live now' })
  @IsOptional()
  @IsIn(STATUSES)
  status?: SessionStatus;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  deviceId?: string;

  @ApiPropertyOptional({ description: 'Exact client IP (v4 or v6), e.g. `203.0.113.7`' })
  @IsOptional()
  @IsIP()
  ip?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created at or after (ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Created before (ISO-8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class AdminSessionDto implements SessionView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  userId!: string;

  @ApiProperty({ description: "The admin's own current session" })
  current!: boolean;

  @ApiProperty({ enum: STATUSES })
  status!: string;

  @ApiProperty()
  rememberMe!: boolean;

  @ApiProperty({ type: DeviceSummaryDto, nullable: true })
  device!: DeviceSummaryDto | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true })
  userAgent!: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time' })
  lastActiveAt!: string;

  @ApiProperty({ format: 'date-time' })
  idleExpiresAt!: string;

  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  endedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Revocation reason (logout, admin, …) or expiry reason (idle, absolute)',
    example: null,
  })
  endReason!: string | null;
}

export class AdminSessionPageDto extends PageDto(AdminSessionDto, {
  description: 'Pass as ?cursor= for the next page',
  example: undefined,
}) {}

export class SessionCountsDto {
  @ApiProperty({ example: 12 })
  created!: number;

  @ApiProperty({ example: 4 })
  revoked!: number;

  @ApiProperty({ example: 7 })
  expired!: number;
}

export class SessionStatsDto {
  @ApiProperty({ format: 'date-time' })
  generatedAt!: string;

  @ApiProperty({ format: 'date-time', description: 'Start of the 24-hour window' })
  since!: string;

  @ApiProperty({ description: 'Sessions live now', example: 42 })
  activeNow!: number;

  @ApiProperty({
    type: SessionCountsDto,
    description: 'Sessions created, revoked and expired in the last 24 hours',
  })
  last24h!: SessionCountsDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: "Live sessions by device platform ('unknown' without a device)",
    example: { desktop: 30, mobile: 12 },
  })
  activeByPlatform!: Record<string, number>;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'Sessions revoked in the last 24 hours, by reason',
    example: { logout: 3, admin: 1 },
  })
  revokedByReason!: Record<string, number>;
}
