import { Module } from '@nestjs/common';
import { DeviceSessionCounts } from '../devices/device-session-counts';
import { SessionDeviceCounts } from './session-device-counts';
import { SessionRepository } from './session.repository';

/**
 * Sessions' implementation of the devices module's DeviceSessionCounts port, on its own so the
 * devices module can import it without importing all of sessions (which imports devices).
 */
@Module({
  providers: [SessionRepository, { provide: DeviceSessionCounts, useClass: SessionDeviceCounts }],
  exports: [DeviceSessionCounts],
})
export class SessionCountsModule {}
