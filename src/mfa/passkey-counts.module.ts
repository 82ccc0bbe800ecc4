import { Module } from '@nestjs/common';
import { DevicePasskeyCounts } from '../devices/device-passkey-counts';
import { PasskeyDeviceCounts } from './passkey-device-counts';
import { WebAuthnRepository } from './webauthn.repository';

/**
 * The mfa module's implementation of the devices module's DevicePasskeyCounts port, on its own
 * so that devices can import it without importing all of mfa (which imports devices).
 */
@Module({
  providers: [WebAuthnRepository, { provide: DevicePasskeyCounts, useClass: PasskeyDeviceCounts }],
  exports: [DevicePasskeyCounts],
})
export class PasskeyCountsModule {}
