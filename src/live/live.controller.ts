import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type AuthContext, CurrentAuth } from '../common/auth-context';
import { LiveStreamService } from './live-stream.service';

@ApiTags('sessions')
@ApiBearerAuth('bearer')
@ApiCookieAuth('cookie')
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
      '`session.revoked` (or `session.expired`) and ends; it also ends when the access token expires.',
  })
  stream(@CurrentAuth() auth: AuthContext, @Req() req: Request, @Res() res: Response): void {
    this.live.open(auth, req, res);
  }
}
