import { SessionViewDto } from './session-view.dto';
import { PageDto } from '../../common/page-dto.factory';

/** GET /sessions: the list shape `{ items, nextCursor }` (all active sessions on one page). */
export class SessionListResponseDto extends PageDto(SessionViewDto, {
  description: 'Always null: every active session fits on one page',
}) {}
