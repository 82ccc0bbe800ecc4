import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../../common/api-problem.decorator';
import { type AuthContext, CurrentAuth } from '../../common/auth-context';
import { RequireFreshAuth } from '../../common/require-fresh-auth.decorator';
import { AdminOnly } from '../../common/roles.decorator';
import {
  CreatedServiceClientDto,
  CreateServiceClientDto,
  ServiceClientListDto,
} from '../dto/service-client.dto';
import { type CreatedServiceClient, ServiceClientsService } from './service-clients.service';

@AdminOnly()
@ApiProblemResponses(401, 403)
@Controller('admin/service-clients')
export class ServiceClientsController {
  constructor(private readonly clients: ServiceClientsService) {}

  @Post()
  @RequireFreshAuth()
  @ApiOperation({
    summary: 'Register a service client (confidential OAuth client for service routes)',
    description:
      'The answer holds the client secret (secret methods) this once; it is stored hashed. ' +
      'private_key_jwt clients register their public JWK Set instead.',
  })
  @ApiCreatedResponse({ type: CreatedServiceClientDto })
  @ApiProblemResponses(400, 401, 'step_up_required')
  create(
    @Body() dto: CreateServiceClientDto,
    @CurrentAuth() auth: AuthContext,
  ): Promise<CreatedServiceClient> {
    return this.clients.create(dto, auth.userId);
  }

  @Get()
  @ApiOperation({ summary: 'Enabled service clients (no secrets)' })
  @ApiOkResponse({ type: ServiceClientListDto })
  async list(): Promise<ServiceClientListDto> {
    return { items: await this.clients.list() };
  }

  @Delete(':clientId')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Disable a service client: refused at once on every instance, its tokens too',
  })
  @ApiNoContentResponse({ description: 'Disabled' })
  @ApiProblemResponses(404)
  async remove(
    @Param('clientId') clientId: string,
    @CurrentAuth() auth: AuthContext,
  ): Promise<void> {
    await this.clients.delete(clientId, auth.userId);
  }
}
