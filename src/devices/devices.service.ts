import { Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { AppException } from '../common/app.exception';
import type { RequestMeta } from '../common/auth-context';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { ClusterBus } from '../events/cluster-bus';
import type { DeviceEntity } from './device.entity';
import { DeviceRepository } from './device.repository';
import { DevicePasskeyCounts } from './device-passkey-counts';
import { DeviceSessionCounts } from './device-session-counts';
import { clip, DEVICE_FIELD_MAX, DEVICE_NAME_MAX, parseUserAgent } from './user-agent';

export interface DeviceHint {
  /** The client's stable device id (mobile apps), or the browser's device cookie. */
  clientDeviceId?: string;
  name?: string;
  platform?: string;
}

/** What other views (a session's device) show of a device. */
export interface DeviceSummary {
  id: string;
  name: string;
  platform: string | null;
  os: string | null;
  browser: string | null;
  trusted: boolean;
}

export interface DeviceView extends DeviceSummary {
  firstSeenAt: string;
  lastSeenAt: string;
  activeSessions: number;
  /** The user's passkeys registered from this device. */
  passkeys: number;
}

export interface ResolvedDevice {
  device: DeviceEntity;
  isNew: boolean;
}

const DERIVED_PREFIX = 'ua:';
const NO_USER = '00000000-0000-0000-0000-000000000000';

/** Without a client id, a device is recognised by its user agent (a coarse but stable key). */
function derivedClientId(userAgent: string | undefined): string {
  return `${DERIVED_PREFIX}${createHash('sha256')
    .update(userAgent ?? '')
    .digest('base64url')
    .slice(0, 32)}`;
}

@Injectable()
export class DevicesService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly sessionCounts: DeviceSessionCounts,
    private readonly passkeyCounts: DevicePasskeyCounts,
    private readonly transactions: TransactionRunner,
    private readonly bus: ClusterBus,
  ) {}

  /** Finds the login's device or registers it (recording `device.new`). Runs inside the login. */
  async resolveForLogin(
    tx: Tx,
    userId: string,
    hint: DeviceHint,
    userAgent: string | undefined,
    ip: string | undefined,
  ): Promise<ResolvedDevice> {
    const clientDeviceId = hint.clientDeviceId ?? derivedClientId(userAgent);
    const parsed = parseUserAgent(userAgent);
    const now = tx.now();
    const candidate = this.devices.build(tx, {
      id: randomUUID(),
      userId,
      clientDeviceId,
      // The DTO bounds these already; the clip keeps other callers within the columns.
      name: clip(hint.name?.trim() || parsed.label, DEVICE_NAME_MAX),
      platform: hint.platform ? clip(hint.platform, DEVICE_FIELD_MAX) : parsed.deviceType,
      os: parsed.os,
      browser: parsed.browser,
      trusted: false,
      trustedAt: null,
      firstSeenAt: now,
      lastSeenAt: now,
      lastIp: ip ?? null,
    });
    // One statement whether the device is new or known (the unique (user, client id) decides).
    const { device, inserted } = await this.devices.upsertForLogin(tx, candidate);
    if (inserted) {
      await tx.record(
        'device.new',
        { userId, deviceId: device.id, ip, userAgent },
        { name: device.name, platform: device.platform ?? undefined },
      );
    }
    return { device, isNew: inserted };
  }

  /**
   * Whether a client-supplied device id (browser device cookie, app device id) belongs to one of
   * the user's devices. Ids derived from the user agent never count: anyone can copy a user
   * agent. `userId` undefined (no such account) runs the same query, so both cost alike.
   */
  async isKnownDevice(userId: string | undefined, clientDeviceId: string): Promise<boolean> {
    if (clientDeviceId.startsWith(DERIVED_PREFIX)) return false;
    const known = await this.devices.existsForClient(userId ?? NO_USER, clientDeviceId);
    return known && userId !== undefined;
  }

  /**
   * isKnownDevice by the account's normalised email instead of its id, so it can run alongside
   * the user lookup. No such account runs the same statement and finds nothing.
   */
  async isKnownDeviceOfEmail(emailNormalized: string, clientDeviceId: string): Promise<boolean> {
    if (clientDeviceId.startsWith(DERIVED_PREFIX)) return false;
    return this.devices.existsForClientOfEmail(emailNormalized, clientDeviceId);
  }

  findById(id: string, tx?: Tx): Promise<DeviceEntity | null> {
    return this.devices.findById(id, tx);
  }

  /** The caller's device or 404: another user's device id is indistinguishable from none. */
  async getOwned(userId: string, deviceId: string, tx?: Tx): Promise<DeviceEntity> {
    const device = await this.devices.findOwned(userId, deviceId, tx);
    if (!device) throw new AppException('not_found', 'Device not found');
    return device;
  }

  /** Lists a user's devices with their active-session and passkey counts (through ports). */
  async list(userId: string, now: Date): Promise<DeviceView[]> {
    const [devices, counts, passkeys] = await Promise.all([
      this.devices.listForUser(userId),
      this.sessionCounts.activeByDevice(userId, now),
      this.passkeyCounts.byDevice(userId),
    ]);
    return devices.map((device) => ({
      id: device.id,
      name: device.name,
      platform: device.platform ?? null,
      os: device.os ?? null,
      browser: device.browser ?? null,
      trusted: device.trusted,
      firstSeenAt: device.firstSeenAt.toISOString(),
      lastSeenAt: device.lastSeenAt.toISOString(),
      activeSessions: counts.get(device.id) ?? 0,
      passkeys: passkeys.get(device.id) ?? 0,
    }));
  }

  /** Renames the caller's device (its own transaction). */
  rename(userId: string, deviceId: string, name: string, meta: RequestMeta = {}): Promise<void> {
    return this.transactions.run((tx) => this.renameIn(tx, userId, deviceId, name, meta));
  }

  /** Trusts or stops trusting the caller's device (its own transaction). */
  setTrusted(
    userId: string,
    deviceId: string,
    trusted: boolean,
    meta: RequestMeta = {},
  ): Promise<void> {
    return this.transactions.run((tx) => this.setTrustedIn(tx, userId, deviceId, trusted, meta));
  }

  async renameIn(
    tx: Tx,
    userId: string,
    deviceId: string,
    name: string,
    meta: RequestMeta = {},
  ): Promise<void> {
    await this.getOwned(userId, deviceId, tx);
    await this.devices.update(tx, deviceId, { name: name.trim() });
    await tx.record('device.renamed', { userId, deviceId, ...meta }, { name: name.trim() });
    await this.announceChange(tx, userId);
  }

  /** Sessions show their device: every instance drops its cached views of the user on commit. */
  private announceChange(tx: Tx, userId: string): Promise<void> {
    return this.bus.publishOnCommit(tx, 'user_changed', { u: userId });
  }

  async setTrustedIn(
    tx: Tx,
    userId: string,
    deviceId: string,
    trusted: boolean,
    meta: RequestMeta = {},
  ): Promise<void> {
    const device = await this.getOwned(userId, deviceId, tx);
    if (device.trusted === trusted) return;
    await this.devices.update(tx, deviceId, { trusted, trustedAt: trusted ? tx.now() : null });
    await tx.record(
      trusted ? 'device.trusted' : 'device.untrusted',
      { userId, deviceId, ...meta },
      {},
    );
    await this.announceChange(tx, userId);
  }

  /** Deletes the device; the caller revokes its sessions in the same transaction. */
  async forget(
    tx: Tx,
    userId: string,
    deviceId: string,
    revokedSessions: number,
    meta: RequestMeta = {},
  ): Promise<void> {
    await this.devices.delete(tx, userId, deviceId);
    await tx.record('device.forgotten', { userId, deviceId, ...meta }, { revokedSessions });
  }
}
