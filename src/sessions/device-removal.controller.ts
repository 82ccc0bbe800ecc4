import { Controller, Delete, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import { SessionsService } from './sessions.service';

/**
 * DELETE /devices/{id} lives here, not in the devices module: forgetting a device revokes its
 * sessions, and the dependency runs sessions → devices, never the other way.
 */
@ApiTags('devices')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401)
@Controller('devices')
export class DeviceRemovalController {
  constructor(private readonly sessions: SessionsService) {}

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Forget a device and revoke its sessions' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'Device id' })
  @ApiNoContentResponse({
    description: "Forgotten; its sessions are revoked (reason 'device_forgotten')",
  })
  @ApiProblemResponses(400, 'csrf_failed', 404)
  async forget(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.sessions.forgetDevice(auth.userId, id, meta);
  }
}
