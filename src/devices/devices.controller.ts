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
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import { Clock } from '../common/clock';
import { TransactionRunner } from '../events/transaction-runner.service';
import { DevicesService, type DeviceView } from './devices.service';
import { RenameDeviceDto } from './dto/rename-device.dto';

@ApiTags('devices')
@ApiBearerAuth('bearer')
@ApiCookieAuth('cookie')
@Controller('devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({ summary: "The caller's devices, with parsed OS and browser and active sessions" })
  async list(@CurrentAuth() auth: AuthContext): Promise<{ items: DeviceView[]; nextCursor: null }> {
    return { items: await this.devices.list(auth.userId, this.clock.now()), nextCursor: null };
  }

  @Patch(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Rename a device' })
  async rename(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: RenameDeviceDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.transactions.run((tx) => this.devices.rename(tx, auth.userId, id, dto.name, meta));
  }

  @Post(':id/trust')
  @HttpCode(204)
  @ApiOperation({ summary: 'Mark a device as trusted' })
  async trust(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.transactions.run((tx) => this.devices.setTrusted(tx, auth.userId, id, true, meta));
  }

  @Delete(':id/trust')
  @HttpCode(204)
  @ApiOperation({ summary: 'Stop trusting a device' })
  async untrust(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.transactions.run((tx) => this.devices.setTrusted(tx, auth.userId, id, false, meta));
  }
}
