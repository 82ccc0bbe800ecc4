import { Injectable } from '@nestjs/common';
import { DevicePasskeyCounts } from '../devices/device-passkey-counts';
import { WebAuthnRepository } from './webauthn.repository';

/** The mfa module's implementation of the devices module's DevicePasskeyCounts port. */
@Injectable()
export class PasskeyDeviceCounts extends DevicePasskeyCounts {
  constructor(private readonly credentials: WebAuthnRepository) {
    super();
  }

  byDevice(userId: string): Promise<Map<string, number>> {
    return this.credentials.countsByDevice(userId);
  }
}
