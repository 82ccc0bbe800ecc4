import { Controller, Get, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import type { Request, Response } from 'express';
import { type AuthContext, CurrentAuth } from '../common/auth-context';
import { LiveStreamService } from './live-stream.service';

@ApiTags('sessions')
@ApiBearerAuth('bearer')
@Controller('sessions')
export class LiveController {
  constructor(private readonly live: LiveStreamService) {}

  @Get('events')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary:
      "Server-Sent Events: the user's session.*, device.* and alert.raised events on every device",
    description:
      'Starts with a `ready` event. When this session is revoked or expires, the stream receives ' +
      '`session.revoked` (or `session.expired`) and ends; it also ends when the access token expires. ' +
      'Every lifecycle event has an `id:` (the event id). A reconnect with `Last-Event-ID` (as ' +
      'EventSource sends it) first receives, in order, the events after that id that it missed, ' +
      'then continues live without duplicates. Replay reaches back at most 10 minutes and 100 ' +
      'events per user; an id beyond that (or from before a restart) gets `stream.reset`, ' +
      'meaning: reload the state (GET /sessions, GET /devices).',
  })
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id of the last event received, to resume after a reconnect',
  })
  @ApiOkResponse({
    description:
      'An event stream; each event is named by its type and carries the lifecycle event as JSON',
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          example:
            'retry: 3000\n\nevent: ready\ndata: {"sessionId":"5a4e2c1d-7b3f-4d6a-8e9c-1f2a3b4c5d6e"}\n\n' +
            'id: 0d5c7b8e-2f4a-4c1b-9e3d-6a7b8c9d0e1f\nevent: session.revoked\ndata: {…}\n\n',
        },
      },
    },
  })
  @ApiProblemResponses(401)
  stream(@CurrentAuth() auth: AuthContext, @Req() req: Request, @Res() res: Response): void {
    this.live.open(auth, req, res);
  }
}
