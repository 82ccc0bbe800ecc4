import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { CurrentServiceCaller, RequireServiceScope } from '../auth/oauth/service-client.guard';
import type { ServiceCaller } from '../auth/oauth/service-credentials';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import { AppException } from '../common/app.exception';
import { PollRequestDto, PollResponseDto } from './dto/poll.dto';
import {
  OptionalStreamIdQueryDto,
  StreamConfigurationDto,
  StreamIdQueryDto,
  StreamRequestDto,
  StreamStatusDto,
  StreamSubjectDto,
  StreamUpdateDto,
  StreamVerificationDto,
} from './dto/stream.dto';
import { type PollAnswer, SsfPollService } from './ssf-poll.service';
import {
  type StreamConfiguration,
  type StreamStatusView,
  SsfStreamsService,
} from './ssf-streams.service';

/** The calling client (the guard lets no request without one reach these routes). */
function clientOf(caller: ServiceCaller | undefined): string {
  if (!caller) throw new AppException('unauthenticated', 'A service client is required');
  return caller.clientId;
}

/**
 * SSF 1.0 stream management (§8.1) and RFC 8936 poll, for registered service clients with the
 * `ssf:stream` scope (a client_credentials access token, or the client's own authentication).
 * A client sees and changes only its own streams.
 */
@ApiTags('operations')
@RequireServiceScope('ssf:stream')
@ApiProblemResponses(401, 403)
@Controller('ssf')
export class SsfStreamsController {
  constructor(
    private readonly streams: SsfStreamsService,
    private readonly polls: SsfPollService,
  ) {}

  @Post('streams')
  @ApiOperation({
    summary: 'Create an event stream (SSF 1.0 §8.1.1.1): push (RFC 8935) or poll (RFC 8936)',
  })
  @ApiCreatedResponse({ type: StreamConfigurationDto })
  @ApiProblemResponses(400, 413)
  createStream(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Body() dto: StreamRequestDto,
  ): Promise<StreamConfiguration> {
    return this.streams.create(clientOf(caller), dto);
  }

  @Get('streams')
  @ApiOperation({
    summary: "Read a stream's configuration, or (without stream_id) every stream of the caller",
  })
  @ApiExtraModels(StreamConfigurationDto)
  @ApiOkResponse({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(StreamConfigurationDto) },
        { type: 'array', items: { $ref: getSchemaPath(StreamConfigurationDto) } },
      ],
    },
  })
  @ApiProblemResponses(400, 404)
  readStreams(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Query() query: OptionalStreamIdQueryDto,
  ): Promise<StreamConfiguration | StreamConfiguration[]> {
    return query.stream_id
      ? this.streams.get(clientOf(caller), query.stream_id)
      : this.streams.list(clientOf(caller));
  }

  @Patch('streams')
  @ApiOperation({ summary: 'Change the members the request names (SSF 1.0 §8.1.1.3)' })
  @ApiOkResponse({ type: StreamConfigurationDto })
  @ApiProblemResponses(400, 404, 413)
  updateStream(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Body() dto: StreamUpdateDto,
  ): Promise<StreamConfiguration> {
    return this.streams.update(clientOf(caller), dto.stream_id, dto, 'patch');
  }

  @Put('streams')
  @ApiOperation({
    summary: 'Replace every receiver-supplied member (SSF 1.0 §8.1.1.4); absent ones reset',
  })
  @ApiOkResponse({ type: StreamConfigurationDto })
  @ApiProblemResponses(400, 404, 413)
  replaceStream(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Body() dto: StreamUpdateDto,
  ): Promise<StreamConfiguration> {
    return this.streams.update(clientOf(caller), dto.stream_id, dto, 'replace');
  }

  @Delete('streams')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a stream and its undelivered SETs (SSF 1.0 §8.1.1.5)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses(400, 404)
  async deleteStream(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Query() query: StreamIdQueryDto,
  ): Promise<void> {
    await this.streams.remove(clientOf(caller), query.stream_id);
  }

  @Get('streams/status')
  @ApiOperation({ summary: "A stream's status (SSF 1.0 §8.1.2.1)" })
  @ApiOkResponse({ type: StreamStatusDto })
  @ApiProblemResponses(400, 404)
  streamStatus(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Query() query: StreamIdQueryDto,
  ): Promise<StreamStatusView> {
    return this.streams.status(clientOf(caller), query.stream_id);
  }

  @Post('streams/status')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Enable, pause (SETs held until enabled) or disable (undelivered SETs dropped) a stream (SSF 1.0 §8.1.2.2)',
  })
  @ApiOkResponse({ type: StreamStatusDto })
  @ApiProblemResponses(400, 404, 413)
  setStreamStatus(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Body() dto: StreamStatusDto,
  ): Promise<StreamStatusView> {
    return this.streams.setStatus(clientOf(caller), dto.stream_id, dto.status, dto.reason);
  }

  @Post('streams/verify')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Ask for a verification SET carrying `state` on the stream (SSF 1.0 §8.1.4.2)',
  })
  @ApiNoContentResponse({ description: 'Queued: it is delivered like any other SET' })
  @ApiProblemResponses(400, 404, 413)
  async verifyStream(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Body() dto: StreamVerificationDto,
  ): Promise<void> {
    await this.streams.verify(clientOf(caller), dto.stream_id, dto.state);
  }

  @Post('subjects/add')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Add a subject back to a stream it was removed from (SSF 1.0 §8.1.3.2; every user is in a stream by default)',
  })
  @ApiOkResponse({ description: 'Added (empty body)' })
  @ApiProblemResponses(400, 404, 413)
  async addSubject(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Body() dto: StreamSubjectDto,
  ): Promise<void> {
    await this.streams.changeSubject(clientOf(caller), dto.stream_id, dto.subject, 'add');
  }

  @Post('subjects/remove')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Remove a subject from a stream: no more SETs about that user on it (SSF 1.0 §8.1.3.3)',
  })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblemResponses(400, 404, 413)
  async removeSubject(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Body() dto: StreamSubjectDto,
  ): Promise<void> {
    await this.streams.changeSubject(clientOf(caller), dto.stream_id, dto.subject, 'remove');
  }

  @Post('poll/:streamId')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Poll a stream for SETs (RFC 8936): acknowledge (ack) or refuse (setErrs) earlier ones and receive the next',
  })
  @ApiParam({ name: 'streamId', format: 'uuid' })
  @ApiOkResponse({ type: PollResponseDto })
  @ApiProblemResponses(400, 404, 413)
  poll(
    @CurrentServiceCaller() caller: ServiceCaller | undefined,
    @Param('streamId', new ParseUUIDPipe()) streamId: string,
    @Body() dto: PollRequestDto,
  ): Promise<PollAnswer> {
    return this.polls.poll(clientOf(caller), streamId, dto);
  }
}
