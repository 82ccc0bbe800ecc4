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
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
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
import { Clock } from '../common/clock';
import { DevicesService } from './devices.service';
import { DeviceListResponseDto } from './dto/device-list-response.dto';
import { RenameDeviceDto } from './dto/rename-device.dto';

const DEVICE_ID = { name: 'id', format: 'uuid', description: 'Device id' };

@ApiTags('devices')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401)
@Controller('devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: "The caller's devices, with parsed OS and browser and active sessions" })
  @ApiOkResponse({ type: DeviceListResponseDto })
  async list(@CurrentAuth() auth: AuthContext): Promise<DeviceListResponseDto> {
    return { items: await this.devices.list(auth.userId, this.clock.now()), nextCursor: null };
  }

  @Patch(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Rename a device' })
  @ApiParam(DEVICE_ID)
  @ApiNoContentResponse({ description: 'Renamed' })
  @ApiProblemResponses(400, 'csrf_failed', 404, 413)
  async rename(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: RenameDeviceDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.devices.rename(auth.userId, id, dto.name, meta);
  }

  @Post(':id/trust')
  @HttpCode(204)
  @ApiOperation({ summary: 'Mark a device as trusted' })
  @ApiParam(DEVICE_ID)
  @ApiNoContentResponse({ description: 'Trusted' })
  @ApiProblemResponses(400, 'csrf_failed', 404)
  async trust(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.devices.setTrusted(auth.userId, id, true, meta);
  }

  @Delete(':id/trust')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop trusting a device' })
  @ApiParam(DEVICE_ID)
  @ApiNoContentResponse({ description: 'No longer trusted' })
  @ApiProblemResponses(400, 'csrf_failed', 404)
  async untrust(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.devices.setTrusted(auth.userId, id, false, meta);
  }
}
