import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import { AdminOnly } from '../common/roles.decorator';
import { type AuthContext, CurrentAuth } from '../common/auth-context';
import type { Page } from '../common/keyset-cursor';
import { PageQueryDto } from '../common/page-query.dto';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import {
  CreatedWebhookDto,
  WebhookDeliveryPageDto,
  WebhookPageDto,
} from './dto/webhook-response.dto';
import {
  type CreatedWebhookView,
  type WebhookDeliveryView,
  type WebhookView,
  WebhooksService,
} from './webhooks.service';
import { RequireFreshAuth } from '../common/require-fresh-auth.decorator';

@AdminOnly()
@ApiProblemResponses(401, 403)
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'Registered alert webhooks (secrets are never shown again)' })
  @ApiOkResponse({ type: WebhookPageDto })
  @ApiProblemResponses(400)
  list(@Query() dto: PageQueryDto): Promise<Page<WebhookView>> {
    return this.webhooks.list({ limit: dto.limit, cursor: dto.cursor });
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: "A webhook's deliveries, newest first: status, attempts and the last outcome",
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'Webhook id' })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiProblemResponses(400, 404)
  deliveries(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Query() dto: PageQueryDto,
  ): Promise<Page<WebhookDeliveryView>> {
    return this.webhooks.deliveries(id, { limit: dto.limit, cursor: dto.cursor });
  }

  @Post()
  @RequireFreshAuth()
  @ApiOperation({
    summary:
      'Register a webhook; the response holds its HMAC-SHA256 signing secret, shown only this once',
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto })
  @ApiProblemResponses(400, 401, 'step_up_required', 413)
  create(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: CreateWebhookDto,
  ): Promise<CreatedWebhookView> {
    return this.webhooks.create(dto, auth.userId);
  }

  @Delete(':id')
  @RequireFreshAuth()
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a webhook and its pending deliveries' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'Webhook id' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblemResponses(400, 401, 'step_up_required', 404)
  async remove(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
  ): Promise<void> {
    await this.webhooks.remove(id, auth.userId);
  }
}
