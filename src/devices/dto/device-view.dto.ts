import { ApiProperty } from '@nestjs/swagger';
import type { DeviceSummary, DeviceView } from '../devices.service';

/** The one device view: what a session shows of its device (and the base of DeviceViewDto). */
export class DeviceSummaryDto implements DeviceSummary {
  @ApiProperty({ format: 'uuid', example: '8d1f6a0e-5b7c-4e2d-9a31-0c4b2e7f9d15' })
  id!: string;

  @ApiProperty({ example: 'Firefox on Linux' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: 'desktop' })
  platform!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Linux' })
  os!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Firefox' })
  browser!: string | null;

  @ApiProperty({ example: false })
  trusted!: boolean;
}

/** A device in the caller's device list: the summary plus when it was seen and its sessions. */
export class DeviceViewDto extends DeviceSummaryDto implements DeviceView {
  @ApiProperty({ format: 'date-time', example: '2026-01-15T09:30:00.000Z' })
  firstSeenAt!: string;

  @ApiProperty({ format: 'date-time', example: '2026-03-01T08:12:00.000Z' })
  lastSeenAt!: string;

  @ApiProperty({ description: 'Sessions live on this device now', example: 1 })
  activeSessions!: number;

  @ApiProperty({
    description: 'Passkeys registered from this device (it holds a passkey when > 0)',
    example: 1,
  })
  passkeys!: number;
}
