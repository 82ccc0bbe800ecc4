import { DeviceViewDto } from './device-view.dto';
import { PageDto } from '../../common/page-dto.factory';

/** GET /devices: the list shape `{ items, nextCursor }` (every device on one page). */
export class DeviceListResponseDto extends PageDto(DeviceViewDto, {
  description: 'Always null: every device fits on one page',
}) {}
