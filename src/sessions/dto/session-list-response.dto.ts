import { ApiProperty } from '@nestjs/swagger';
import { SessionViewDto } from './session-view.dto';

/** GET /sessions: the list shape `{ items, nextCursor }` (all active sessions on one page). */
export class SessionListResponseDto {
  @ApiProperty({ type: [SessionViewDto] })
  items!: SessionViewDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Always null: every active session fits on one page',
    example: null,
  })
  nextCursor!: string | null;
}
