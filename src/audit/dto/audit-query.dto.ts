import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

/** Filters and keyset pagination for the caller's own activity. */
export class ActivityQueryDto {
  /** Only records of this session. */
  @ApiPropertyOptional({ format: 'uuid', description: 'Only records of this session' })
  @IsOptional()
  @IsUUID()
  sessionId?: string;

  /** Only records of this event type, e.g. `session.revoked`. */
  @ApiPropertyOptional({
    description: 'Only records of this event type',
    maxLength: 64,
    example: 'session.revoked',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[a-z_]+(\.[a-z_]+)*$/, {
    message: 'type must be an event type such as session.revoked',
  })
  type?: string;

  /** Records that occurred at or after this instant (ISO-8601). */
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Records that occurred at or after this instant (ISO-8601)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  /** Records that occurred before this instant (ISO-8601). */
  @ApiPropertyOptional({
    format: 'date-time',
    description: 'Records that occurred before this instant (ISO-8601)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  /** Page size, 1–200 (default 50). */
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50, description: 'Page size' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  /** The `nextCursor` of the previous page. */
  @ApiPropertyOptional({
    description: 'The nextCursor of the previous page (opaque)',
    maxLength: 200,
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

/** Admin search over the whole audit log. */
export class AuditQueryDto extends ActivityQueryDto {
  /** Only records about this user. */
  @ApiPropertyOptional({ format: 'uuid', description: 'Only records about this user' })
  @IsOptional()
  @IsUUID()
  userId?: string;
}
