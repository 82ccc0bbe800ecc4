/**
 * Passkeys per device, for the device list ("this device holds a passkey"). Declared here and
 * implemented by the mfa module (which owns the passkeys): devices must not import mfa, so the
 * arrow is inverted through this port, as with DeviceSessionCounts.
 */
export abstract class DevicePasskeyCounts {
  /** The user's passkeys by the device they were registered from (devices without any absent). */
  abstract byDevice(userId: string): Promise<Map<string, number>>;
}
