import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import { AdminOnly } from '../common/roles.decorator';
import { type AuthContext, CurrentAuth } from '../common/auth-context';
import type { Page } from '../common/keyset-cursor';
import type { AlertView } from './alert-view';
import { AlertsService } from './alerts.service';
import { AlertQueryDto, MyAlertsQueryDto, UpdateAlertDto } from './dto/alert-query.dto';
import { AlertDto, AlertPageDto } from './dto/alert-response.dto';
import { RequireFreshAuth } from '../common/require-fresh-auth.decorator';

@ApiTags('me')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401)
@Controller('me')
export class MyAlertsController {
  constructor(private readonly alertsService: AlertsService) {}

  @Get('alerts')
  @ApiOperation({ summary: "The caller's security alerts, newest first (keyset-paginated)" })
  @ApiOkResponse({ type: AlertPageDto })
  @ApiProblemResponses(400)
  alerts(
    @CurrentAuth() auth: AuthContext,
    @Query() dto: MyAlertsQueryDto,
  ): Promise<Page<AlertView>> {
    return this.alertsService.list(
      { userId: auth.userId, status: dto.status },
      { limit: dto.limit, cursor: dto.cursor },
    );
  }
}

@AdminOnly()
@ApiProblemResponses(401, 403)
@Controller('admin/alerts')
export class AdminAlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Get()
  @ApiOperation({ summary: 'All alerts, newest first (filters: status, userId, severity, rule)' })
  @ApiOkResponse({ type: AlertPageDto })
  @ApiProblemResponses(400)
  list(@Query() dto: AlertQueryDto): Promise<Page<AlertView>> {
    const { limit, cursor, ...filter } = dto;
    return this.alerts.list(filter, { limit, cursor });
  }

  @Patch(':id')
  @RequireFreshAuth()
  @ApiOperation({ summary: 'Acknowledge, resolve or reopen an alert' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'Alert id' })
  @ApiOkResponse({ type: AlertDto, description: 'The alert with its new status' })
  @ApiProblemResponses(400, 401, 'step_up_required', 404, 413)
  update(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateAlertDto,
  ): Promise<AlertView> {
    return this.alerts.setStatus(id, dto.status, auth.userId);
  }
}
