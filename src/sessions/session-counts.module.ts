import { Module } from '@nestjs/common';
import { DeviceSessionCounts } from '../devices/device-session-counts';
import { SessionDeviceLookup } from '../devices/session-device-lookup';
import { SessionDeviceCounts } from './session-device-counts';
import { SessionDeviceFinder } from './session-device-finder';
import { SessionRepository } from './session.repository';

/**
 * Sessions' implementations of the devices module's ports (DeviceSessionCounts for the device
 * list, SessionDeviceLookup for the mfa module), on their own so that devices and mfa can import
 * them without importing all of sessions (which imports devices).
 */
@Module({
  providers: [
    SessionRepository,
    { provide: DeviceSessionCounts, useClass: SessionDeviceCounts },
    { provide: SessionDeviceLookup, useClass: SessionDeviceFinder },
  ],
  exports: [DeviceSessionCounts, SessionDeviceLookup],
})
export class SessionCountsModule {}
