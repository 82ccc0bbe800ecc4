import { Controller, Get, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblemResponses } from '../../common/api-problem.decorator';
import { Public } from '../../common/public.decorator';
import { RevocationFeedGuard } from './revocation-feed.guard';
import type { ServiceRequest } from './service-client.guard';
import { RevocationFeed } from './revocation-feed.service';

const EXAMPLE =
  'retry: 1000\n\n' +
  'event: ended\ndata: {"sessions":[{"sid":"5a4e2c1d-7b3f-4d6a-8e9c-1f2a3b4c5d6e","status":"revoked","endedAt":1764170000000}]}\n\n' +
  'id: 1764170400000\nevent: ready\ndata: {"mode":"snapshot","count":1,"heartbeatMs":15000}\n\n' +
  ': heartbeat\n\n' +
  'id: 1764170412345\nevent: ended\ndata: {"sessions":[{"sid":"0d5c7b8e-2f4a-4c1b-9e3d-6a7b8c9d0e1f","status":"revoked","endedAt":1764170412345}]}\n\n';

/** Public to the user-token guard: it takes a service credential instead (RevocationFeedGuard). */
@ApiTags('operations')
@Controller('oauth')
export class RevocationFeedController {
  constructor(private readonly feed: RevocationFeed) {}

  @Public()
  @Get('revocations')
  @UseGuards(RevocationFeedGuard)
  // Listed in reverse: decorators apply bottom-up (the shared secret comes first in the document).
  @ApiSecurity('serviceClient')
  @ApiSecurity('serviceToken')
  @ApiSecurity('revocationFeed')
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description:
      'Resume after this event id: endings since then are replayed (no snapshot); an id older ' +
      'than the remembered endings, or malformed, gets a snapshot instead',
  })
  @ApiOperation({
    summary: 'Server-Sent Events: sessions that ended, for services verifying tokens themselves',
    description:
      'For resource servers that verify access tokens with the JWKS (e.g. @tessera/verifier): ' +
      'after a session ends (revoked, logged out, expired, evicted) its access tokens must be ' +
      'refused. Authenticate with `Authorization: Bearer <REVOCATION_FEED_SECRET>`, or as a ' +
      'service client holding revocations:read (its client_credentials token, or client ' +
      'authentication). A refused credential (an expired or unknown token) is 401; while no ' +
      'secret is configured, a request with no credential is 404. ' +
      'The stream starts with `ended` events holding ' +
      'every session ended within the access-token horizon (or, with Last-Event-ID, those since ' +
      'that id), then `ready` (with an `id:`), then live `ended` events, each with an `id:`. A ' +
      '`: heartbeat` comment comes every REVOCATION_FEED_HEARTBEAT (15 s) so a subscriber can ' +
      'tell a dead feed from a quiet one. Every instance serves every ending. Streams are capped ' +
      'per client (REVOCATION_FEED_STREAMS_PER_CLIENT) and per instance ' +
      '(REVOCATION_FEED_STREAMS_MAX): past a cap, 503 with Retry-After.',
  })
  @ApiOkResponse({
    description:
      'An event stream. `ended`: `{ sessions: [{ sid, status: revoked|expired, endedAt (epoch ms) }] }`; ' +
      '`ready`: `{ mode: snapshot|replay, count, heartbeatMs }`',
    content: { 'text/event-stream': { schema: { type: 'string', example: EXAMPLE } } },
  })
  @ApiProblemResponses(401, 404, 503)
  stream(@Req() req: ServiceRequest, @Res() res: Response): void {
    this.feed.open(req, res);
  }
}
