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
import { ApiOperation } from '@nestjs/swagger';
import { AdminOnly } from '../auth/roles.decorator';
import { type AuthContext, CurrentAuth } from '../common/auth-context';
import type { Page } from '../common/keyset-cursor';
import { PageQueryDto } from './dto/alert-query.dto';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { type CreatedWebhookView, type WebhookView, WebhooksService } from './webhooks.service';

@AdminOnly()
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'Registered alert webhooks (secrets are never shown again)' })
  list(@Query() dto: PageQueryDto): Promise<Page<WebhookView>> {
    return this.webhooks.list({ limit: dto.limit ?? 50, cursor: dto.cursor });
  }

  @Post()
  @ApiOperation({
    summary:
      'Register a webhook; the response holds its HMAC-SHA256 signing secret, shown only this once',
  })
  create(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: CreateWebhookDto,
  ): Promise<CreatedWebhookView> {
    return this.webhooks.create(dto, auth.userId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a webhook and its pending deliveries' })
  async remove(@Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.webhooks.remove(id);
  }
}
