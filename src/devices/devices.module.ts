import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeviceEntity } from './device.entity';
import { DeviceRepository } from './device.repository';
import { DevicesController } from './devices.controller';
import { DevicesService } from './devices.service';

export interface DevicesModuleDeps {
  /** A module exporting DeviceSessionCounts (the sessions module's SessionCountsModule). */
  sessionCounts: Type | DynamicModule;
  /** A module exporting DevicePasskeyCounts (the mfa module's PasskeyCountsModule). */
  passkeyCounts: Type | DynamicModule;
}

/** Device recognition and trust. Exports DevicesService only. */
@Module({})
export class DevicesModule {
  static forRoot(deps: DevicesModuleDeps): DynamicModule {
    return {
      module: DevicesModule,
      imports: [TypeOrmModule.forFeature([DeviceEntity]), deps.sessionCounts, deps.passkeyCounts],
      controllers: [DevicesController],
      providers: [DevicesService, DeviceRepository],
      exports: [DevicesService],
    };
  }
}
