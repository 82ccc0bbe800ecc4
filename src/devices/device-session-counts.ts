/**
 * Active-session counts per device, for the device list. Declared here and implemented by the
 * sessions module (which owns the sessions table): devices must not import sessions, so the
 * arrow is inverted through this port.
 */
export abstract class DeviceSessionCounts {
  /** Sessions of `userId` live at `now`, by device id (devices without any are absent). */
  abstract activeByDevice(userId: string, now: Date): Promise<Map<string, number>>;
}
