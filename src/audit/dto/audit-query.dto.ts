import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/page-query.dto';

/** Filters and keyset pagination for the caller's own activity. */
export class ActivityQueryDto extends PageQueryDto {
  /** Only records of this session. */
  @ApiPropertyOptional({ format: 'uuid', description: 'Only records of this session' })
  @IsOptional()
  @IsUUID()
  sessionId?: string;

  /** Only records of this event type, e.g. `session.revoked`. */
  @ApiPropertyOptional({
    description: 'Only records of this event type, e.g. `session.revoked`',
    maxLength: 64,
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
}

/** Admin search over the whole audit log. */
export class AuditQueryDto extends ActivityQueryDto {
  /** Only records about this user. */
  @ApiPropertyOptional({ format: 'uuid', description: 'Only records about this user' })
  @IsOptional()
  @IsUUID()
  userId?: string;
}
