import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { CREDENTIAL_CHANGE, SESSION_REVOKED, SUPPORTED_EVENTS } from '../caep-events';
import { POLL_DELIVERY, PUSH_DELIVERY, type SsfDeliveryMethod } from '../ssf-stream.entity';

const METHODS: SsfDeliveryMethod[] = [PUSH_DELIVERY, POLL_DELIVERY];

/** SSF 1.0 §8.1.1 `delivery`: how SETs reach the receiver. */
export class StreamDeliveryDto {
  @ApiProperty({
    enum: METHODS,
    description: '`urn:ietf:rfc:8935` (push to endpoint_url) or `urn:ietf:rfc:8936` (poll)',
    example: PUSH_DELIVERY,
  })
  @IsIn(METHODS)
  method!: SsfDeliveryMethod;

  @ApiPropertyOptional({
    description:
      'Push: where SETs are POSTed, https to a public address (checked at every push). Poll: ' +
      'supplied by the transmitter (send it back unchanged or leave it out)',
    format: 'uri',
    maxLength: 2048,
    example: 'https://receiver.example.com/ssf/events',
  })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false })
  @MaxLength(2048)
  endpoint_url?: string;

  @ApiPropertyOptional({
    description:
      'Push only: the Authorization header value sent with every push (stored encrypted, ' +
      'never returned)',
    maxLength: 2000,
    example: 'Bearer 8f0c1d2e3a4b5c6d',
    writeOnly: true,
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  authorization_header?: string;
}

/** What a receiver sets on its stream (create, PUT, and the members of a PATCH). */
export class StreamRequestDto {
  @ApiPropertyOptional({
    type: [String],
    maxItems: 20,
    description: 'Event types wanted; those in events_supported are delivered',
    example: [SESSION_REVOKED, CREDENTIAL_CHANGE],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  events_requested?: string[];

  @ApiPropertyOptional({ type: StreamDeliveryDto, description: 'Default: poll' })
  @IsOptional()
  @ValidateNested()
  @Type(() => StreamDeliveryDto)
  delivery?: StreamDeliveryDto;

  @ApiPropertyOptional({ maxLength: 200, example: 'SOC session revocations' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  description?: string;

  // Transmitter-supplied members a receiver may send back unchanged (SSF 1.0 §8.1.1.3): they
  // are accepted and ignored, never taken from the request.
  @ApiPropertyOptional({ description: 'Transmitter-supplied: ignored', readOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  iss?: string;

  @ApiPropertyOptional({ description: 'Transmitter-supplied: ignored', readOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  aud?: string;

  @ApiPropertyOptional({ type: [String], description: 'Transmitter-supplied: ignored' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  events_supported?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Transmitter-supplied: ignored' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  events_delivered?: string[];

  @ApiPropertyOptional({ description: 'Transmitter-supplied: ignored' })
  @IsOptional()
  @IsInt()
  @Min(0)
  min_verification_interval?: number;
}

/** PUT and PATCH name the stream in the body. */
export class StreamUpdateDto extends StreamRequestDto {
  @ApiProperty({ format: 'uuid', example: '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d' })
  @IsUUID()
  stream_id!: string;
}

export class StreamIdQueryDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  stream_id!: string;
}

export class OptionalStreamIdQueryDto {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'One stream; without it, every stream of the caller',
  })
  @IsOptional()
  @IsUUID()
  stream_id?: string;
}

/** SSF 1.0 §8.1.1 stream configuration as the transmitter answers it. */
export class StreamConfigurationDto {
  @ApiProperty({ format: 'uuid' })
  stream_id!: string;

  @ApiProperty({ description: 'The `iss` of every SET', example: 'https://auth.example.com' })
  iss!: string;

  @ApiProperty({ description: 'The `aud` of every SET (the client id)', example: 'soc-receiver' })
  aud!: string;

  @ApiProperty({ type: [String], example: SUPPORTED_EVENTS })
  events_supported!: string[];

  @ApiProperty({ type: [String], example: [SESSION_REVOKED] })
  events_requested!: string[];

  @ApiProperty({ type: [String], example: [SESSION_REVOKED] })
  events_delivered!: string[];

  @ApiProperty({
    description: 'Method and endpoint (never the authorization header)',
    example: { method: PUSH_DELIVERY, endpoint_url: 'https://receiver.example.com/ssf/events' },
  })
  delivery!: { method: SsfDeliveryMethod; endpoint_url: string };

  @ApiPropertyOptional({ example: 'SOC session revocations' })
  description?: string;
}

const STATUSES = ['enabled', 'paused', 'disabled'];

/** SSF 1.0 §8.1.2 stream status. */
export class StreamStatusDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  stream_id!: string;

  @ApiProperty({
    enum: STATUSES,
    description: 'enabled: delivered · paused: held until enabled · disabled: dropped',
  })
  @IsIn(STATUSES)
  status!: 'enabled' | 'paused' | 'disabled';

  @ApiPropertyOptional({ maxLength: 500, example: 'Maintenance window' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** SSF 1.0 §8.1.4 verification request. */
export class StreamVerificationDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  stream_id!: string;

  @ApiPropertyOptional({
    maxLength: 256,
    description: 'Echoed in the verification event',
    example: 'VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo=',
  })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  state?: string;
}

/** SSF 1.0 §8.1.3 subject: an RFC 9493 subject identifier (iss_sub is the one this issuer has). */
export class StreamSubjectDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  stream_id!: string;

  @ApiProperty({
    type: 'object',
    properties: {
      format: { type: 'string', enum: ['iss_sub'] },
      iss: { type: 'string' },
      sub: { type: 'string' },
    },
    required: ['format', 'iss', 'sub'],
    description:
      "A subject identifier (RFC 9493). Supported: `iss_sub` with this transmitter's issuer " +
      'and the user id as `sub`',
    example: {
      format: 'iss_sub',
      iss: 'https://auth.example.com',
      sub: '0d5c7b8e-2f4a-4c1b-9e3d-6a7b8c9d0e1f',
    },
  })
  @IsObject()
  subject!: Record<string, unknown>;

  @ApiPropertyOptional({
    description:
      'Add only: whether the receiver verified the subject (kept for compatibility, unused)',
  })
  @IsOptional()
  @IsBoolean()
  verified?: boolean;
}
