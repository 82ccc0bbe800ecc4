import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { POLL_MAX_ACKS, POLL_MAX_EVENTS } from '../poll-request';

/** RFC 8936 §2.4 poll request. */
export class PollRequestDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: POLL_MAX_EVENTS,
    description: 'At most this many SETs (0: acknowledge only); default 100',
    example: 10,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  maxEvents?: number;

  @ApiPropertyOptional({
    description:
      'true: answer at once. false (default): wait up to SSF_POLL_MAX_WAIT for a SET when none is waiting',
    example: true,
  })
  @IsOptional()
  @IsBoolean()
  returnImmediately?: boolean;

  @ApiPropertyOptional({
    type: [String],
    maxItems: POLL_MAX_ACKS,
    description: 'jti values of SETs received and processed: never returned again',
    example: ['4d3559ec67504aaba65d40b0363faad8'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(POLL_MAX_ACKS)
  @IsString({ each: true })
  @MaxLength(64, { each: true })
  ack?: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: {
      type: 'object',
      properties: { err: { type: 'string' }, description: { type: 'string' } },
      required: ['err'],
    },
    description: 'SETs refused: jti → {err, description} (RFC 8935 §2.3 error codes)',
    example: { '3d0c3cf797584bd193bd0fb1bd4e7d30': { err: 'jwtAud', description: 'wrong aud' } },
  })
  @IsOptional()
  @IsObject()
  setErrs?: Record<string, unknown>;
}

/** RFC 8936 §2.5 poll response. */
export class PollResponseDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'jti → the signed SET (a compact JWS, `typ` secevent+jwt)',
  })
  sets!: Record<string, string>;

  @ApiProperty({ description: 'More SETs are waiting', example: false })
  moreAvailable!: boolean;
}
