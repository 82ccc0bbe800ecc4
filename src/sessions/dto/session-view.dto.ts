import { ApiProperty } from '@nestjs/swagger';
import { DeviceSummaryDto } from '../../devices/dto/device-view.dto';
import type { SessionView } from '../session-views';

/** A session as the API shows it (documents SessionView). */
export class SessionViewDto implements SessionView {
  @ApiProperty({ format: 'uuid', example: '5a4e2c1d-7b3f-4d6a-8e9c-1f2a3b4c5d6e' })
  id!: string;

  @ApiProperty({ format: 'uuid', example: '3f0c9a52-8a6e-4c4b-9f0e-2d2f5e1b7a10' })
  userId!: string;

  @ApiProperty({ description: 'The session making this request', example: true })
  current!: boolean;

  @ApiProperty({ enum: ['active', 'revoked', 'expired'], example: 'active' })
  status!: string;

  @ApiProperty({ description: 'Signed in with rememberMe (long idle timeout)', example: false })
  rememberMe!: boolean;

  @ApiProperty({ type: DeviceSummaryDto, nullable: true })
  device!: DeviceSummaryDto | null;

  @ApiProperty({ type: String, nullable: true, example: '203.0.113.7' })
  ip!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  })
  userAgent!: string | null;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T08:00:00.000Z' })
  createdAt!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'Last authenticated activity',
    example: '2026-03-01T08:12:00.000Z',
  })
  lastActiveAt!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'Ends here unless there is activity before',
    example: '2026-03-01T08:42:00.000Z',
  })
  idleExpiresAt!: string;

  @ApiProperty({
    format: 'date-time',
    description: 'Absolute deadline; activity never extends it',
    example: '2026-03-31T08:00:00.000Z',
  })
  expiresAt!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  endedAt!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Revocation reason (logout, user, …) or expiry reason (idle, absolute)',
    example: null,
  })
  endReason!: string | null;
}
