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
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import {
  CurrentServiceCaller,
  RequireServiceScope,
  ServiceClientGuard,
} from '../auth/oauth/service-client.guard';
import type { ServiceCaller } from '../auth/oauth/service-credentials';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import { Public } from '../common/public.decorator';
import { PollRequestDto, PollResponseDto } from './dto/poll.dto';
import {
  OptionalStreamIdQueryDto,
  StreamConfigurationDto,
  StreamIdQueryDto,
  StreamRequestDto,
  StreamStatusDto,
  StreamUpdateDto,
  StreamVerificationDto,
} from './dto/stream.dto';
import { type PollAnswer, SsfPollService } from './ssf-poll.service';
import {
  type StreamConfiguration,
  type StreamStatusView,
  SsfStreamsService,
} from './ssf-streams.service';

/**
 * SSF 1.0 stream management (§8.1) and RFC 8936 poll, for registered service clients with the
 * `ssf:stream` scope. Public to the user-token guard: ServiceClientGuard authenticates the
 * client instead. A client sees and changes only its own streams.
 */
@ApiTags('shared-signals')
@ApiBearerAuth('bearer')
@Public()
@UseGuards(ServiceClientGuard)
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
  create(
    @CurrentServiceCaller() caller: ServiceCaller,
    @Body() dto: StreamRequestDto,
  ): Promise<StreamConfiguration> {
    return this.streams.create(caller.clientId, dto);
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
  read(
    @CurrentServiceCaller() caller: ServiceCaller,
    @Query() query: OptionalStreamIdQueryDto,
  ): Promise<StreamConfiguration | StreamConfiguration[]> {
    return query.stream_id
      ? this.streams.get(caller.clientId, query.stream_id)
      : this.streams.list(caller.clientId);
  }

  @Patch('streams')
  @ApiOperation({ summary: 'Change the members the request names (SSF 1.0 §8.1.1.3)' })
  @ApiOkResponse({ type: StreamConfigurationDto })
  @ApiProblemResponses(400, 404, 413)
  patch(
    @CurrentServiceCaller() caller: ServiceCaller,
    @Body() dto: StreamUpdateDto,
  ): Promise<StreamConfiguration> {
    return this.streams.update(caller.clientId, dto.stream_id, dto, 'patch');
  }

  @Put('streams')
  @ApiOperation({
    summary: 'Replace every receiver-supplied member (SSF 1.0 §8.1.1.4); absent ones reset',
  })
  @ApiOkResponse({ type: StreamConfigurationDto })
  @ApiProblemResponses(400, 404, 413)
  replace(
    @CurrentServiceCaller() caller: ServiceCaller,
    @Body() dto: StreamUpdateDto,
  ): Promise<StreamConfiguration> {
    return this.streams.update(caller.clientId, dto.stream_id, dto, 'replace');
  }

  @Delete('streams')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a stream and its undelivered SETs (SSF 1.0 §8.1.1.5)' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses(400, 404)
  async remove(
    @CurrentServiceCaller() caller: ServiceCaller,
    @Query() query: StreamIdQueryDto,
  ): Promise<void> {
    await this.streams.remove(caller.clientId, query.stream_id);
  }

  @Get('streams/status')
  @ApiOperation({ summary: "A stream's status (SSF 1.0 §8.1.2.1)" })
  @ApiOkResponse({ type: StreamStatusDto })
  @ApiProblemResponses(400, 404)
  status(
    @CurrentServiceCaller() caller: ServiceCaller,
    @Query() query: StreamIdQueryDto,
  ): Promise<StreamStatusView> {
    return this.streams.status(caller.clientId, query.stream_id);
  }

  @Post('streams/status')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Enable, pause (SETs held until enabled) or disable (undelivered SETs dropped) a stream (SSF 1.0 §8.1.2.2)',
  })
  @ApiOkResponse({ type: StreamStatusDto })
  @ApiProblemResponses(400, 404, 413)
  setStatus(
    @CurrentServiceCaller() caller: ServiceCaller,
    @Body() dto: StreamStatusDto,
  ): Promise<StreamStatusView> {
    return this.streams.setStatus(caller.clientId, dto.stream_id, dto.status, dto.reason);
  }

  @Post('streams/verify')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Ask for a verification SET carrying `state` on the stream (SSF 1.0 §8.1.4.2)',
  })
  @ApiNoContentResponse({ description: 'Queued: it is delivered like any other SET' })
  @ApiProblemResponses(400, 404, 413)
  async verify(
    @CurrentServiceCaller() caller: ServiceCaller,
    @Body() dto: StreamVerificationDto,
  ): Promise<void> {
    await this.streams.verify(caller.clientId, dto.stream_id, dto.state);
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
    @CurrentServiceCaller() caller: ServiceCaller,
    @Param('streamId', new ParseUUIDPipe()) streamId: string,
    @Body() dto: PollRequestDto,
  ): Promise<PollAnswer> {
    return this.polls.poll(caller.clientId, streamId, dto);
  }
}
