import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../common/page-dto.factory';
import type { AuditRecordView } from '../audit.service';

/** One audit event (documents AuditService's AuditRecordView). */
export class AuditRecordDto implements AuditRecordView {
  @ApiProperty({
    format: 'uuid',
    description: 'The event id',
    example: '0d5c7b8e-2f4a-4c1b-9e3d-6a7b8c9d0e1f',
  })
  id!: string;

  @ApiProperty({ description: 'Lifecycle event type', example: 'auth.login.succeeded' })
  type!: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T08:00:00.000Z' })
  occurredAt!: string;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The user the event is about',
    example: '3f0c9a52-8a6e-4c4b-9f0e-2d2f5e1b7a10',
  })
  userId!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Who acted, when not the user (an admin, or the operator)',
    example: null,
  })
  actorId!: string | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    example: '5a4e2c1d-7b3f-4d6a-8e9c-1f2a3b4c5d6e',
  })
  sessionId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, example: null })
  deviceId!: string | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Mozilla/5.0 (X11; Linux x86_64)' })
  userAgent!: string | null;

  @ApiProperty({ enum: ['success', 'failure'], example: 'success' })
  outcome!: 'success' | 'failure';

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why (for example a revocation or failure reason)',
    example: null,
  })
  reason!: string | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'Event-specific details',
    example: { rememberMe: false },
  })
  data!: Record<string, unknown>;
}

/** A keyset page of audit events: `{ items, nextCursor }`. */
export class AuditRecordPageDto extends PageDto(AuditRecordDto) {}
