import { ApiProperty } from '@nestjs/swagger';
import { DeviceViewDto } from './device-view.dto';

/** GET /devices: the list shape `{ items, nextCursor }` (every device on one page). */
export class DeviceListResponseDto {
  @ApiProperty({ type: [DeviceViewDto] })
  items!: DeviceViewDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Always null: every device fits on one page',
    example: null,
  })
  nextCursor!: string | null;
}
