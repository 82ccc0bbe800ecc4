import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { Repository } from 'typeorm';
import { AppException } from '../common/app.exception';
import type { RequestMeta } from '../common/auth-context';
import type { Tx } from '../events/transaction-runner.service';
import { DeviceEntity } from './device.entity';
import { parseUserAgent } from './user-agent';

export interface DeviceHint {
  /** The client's stable device id (mobile apps), or the browser's device cookie. */
  clientDeviceId?: string;
  name?: string;
  platform?: string;
}

export interface DeviceView {
  id: string;
  name: string;
  platform: string | null;
  os: string | null;
  browser: string | null;
  trusted: boolean;
  firstSeenAt: string;
  lastSeenAt: string;
  activeSessions: number;
}

export interface ResolvedDevice {
  device: DeviceEntity;
  isNew: boolean;
}

/** Without a client id, a device is recognised by its user agent (a coarse but stable key). */
function derivedClientId(userAgent: string | undefined): string {
  return `ua:${createHash('sha256')
    .update(userAgent ?? '')
    .digest('base64url')
    .slice(0, 32)}`;
}

@Injectable()
export class DevicesService {
  constructor(@InjectRepository(DeviceEntity) private readonly devices: Repository<DeviceEntity>) {}

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
    const repo = tx.manager.getRepository(DeviceEntity);
    const existing = await repo.findOneBy({ userId, clientDeviceId });
    if (existing) {
      await repo.update(
        { id: existing.id },
        { lastSeenAt: now, lastIp: ip ?? null, os: parsed.os, browser: parsed.browser },
      );
      return { device: { ...existing, lastSeenAt: now }, isNew: false };
    }
    const device = repo.create({
      userId,
      clientDeviceId,
      name: hint.name?.trim() || parsed.label,
      platform: hint.platform ?? parsed.deviceType,
      os: parsed.os,
      browser: parsed.browser,
      trusted: false,
      trustedAt: null,
      firstSeenAt: now,
      lastSeenAt: now,
      lastIp: ip ?? null,
    });
    await repo.insert(device);
    await tx.record(
      'device.new',
      { userId, deviceId: device.id, ip, userAgent },
      { name: device.name, platform: device.platform ?? undefined },
    );
    return { device, isNew: true };
  }

  findById(id: string): Promise<DeviceEntity | null> {
    return this.devices.findOneBy({ id });
  }

  /** The caller's device or 404: another user's device id is indistinguishable from none. */
  async getOwned(userId: string, deviceId: string, tx?: Tx): Promise<DeviceEntity> {
    const repo = tx?.manager.getRepository(DeviceEntity) ?? this.devices;
    const device = await repo.findOneBy({ id: deviceId, userId });
    if (!device) throw new AppException('not_found', 'Device not found');
    return device;
  }

  /** Lists a user's devices with their active-session counts (read-only view of sessions). */
  async list(userId: string, now: Date): Promise<DeviceView[]> {
    const rows: Array<DeviceEntity & { activeSessions: string }> = await this.devices
      .createQueryBuilder('d')
      .select('d.*')
      .addSelect(
        `(SELECT count(*) FROM sessions s WHERE s.device_id = d.id AND s.status = 'active'
            AND s.expires_at > :now AND s.idle_expires_at > :now)`,
        'activeSessions',
      )
      .where('d.user_id = :userId', { userId, now })
      .orderBy('d.last_seen_at', 'DESC')
      .getRawMany();
    return rows.map((row) => {
      const raw = row as unknown as Record<string, unknown>;
      return {
        id: String(raw.id),
        name: String(raw.name),
        platform: (raw.platform as string | null) ?? null,
        os: (raw.os as string | null) ?? null,
        browser: (raw.browser as string | null) ?? null,
        trusted: Boolean(raw.trusted),
        firstSeenAt: new Date(raw.first_seen_at as string).toISOString(),
        lastSeenAt: new Date(raw.last_seen_at as string).toISOString(),
        activeSessions: Number(raw.activeSessions),
      };
    });
  }

  async rename(
    tx: Tx,
    userId: string,
    deviceId: string,
    name: string,
    meta: RequestMeta = {},
  ): Promise<void> {
    await this.getOwned(userId, deviceId, tx);
    await tx.manager.update(DeviceEntity, { id: deviceId }, { name: name.trim() });
    await tx.record('device.renamed', { userId, deviceId, ...meta }, { name: name.trim() });
  }

  async setTrusted(
    tx: Tx,
    userId: string,
    deviceId: string,
    trusted: boolean,
    meta: RequestMeta = {},
  ): Promise<void> {
    const device = await this.getOwned(userId, deviceId, tx);
    if (device.trusted === trusted) return;
    await tx.manager.update(
      DeviceEntity,
      { id: deviceId },
      { trusted, trustedAt: trusted ? tx.now() : null },
    );
    await tx.record(
      trusted ? 'device.trusted' : 'device.untrusted',
      { userId, deviceId, ...meta },
      {},
    );
  }

  /** Deletes the device; the caller revokes its sessions in the same transaction. */
  async forget(
    tx: Tx,
    userId: string,
    deviceId: string,
    revokedSessions: number,
    meta: RequestMeta = {},
  ): Promise<void> {
    await tx.manager.delete(DeviceEntity, { id: deviceId, userId });
    await tx.record('device.forgotten', { userId, deviceId, ...meta }, { revokedSessions });
  }
}
