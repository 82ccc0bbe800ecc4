import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Tx } from '../events/transaction-runner.service';
import { DeviceEntity } from './device.entity';

const DEVICE_COLUMNS = `id, user_id AS "userId", client_device_id AS "clientDeviceId", name, platform,
  os, browser, trusted, trusted_at AS "trustedAt", first_seen_at AS "firstSeenAt",
  last_seen_at AS "lastSeenAt", last_ip AS "lastIp"`;

/** The devices table. */
@Injectable()
export class DeviceRepository {
  constructor(@InjectRepository(DeviceEntity) private readonly devices: Repository<DeviceEntity>) {}

  findByClientId(tx: Tx, userId: string, clientDeviceId: string): Promise<DeviceEntity | null> {
    return tx.manager.getRepository(DeviceEntity).findOneBy({ userId, clientDeviceId });
  }

  /**
   * The login's device in one statement: registers it, or (the user already has this client
   * id) notes when and from where it was seen. `inserted` tells which happened.
   */
  async upsertForLogin(
    tx: Tx,
    device: DeviceEntity,
  ): Promise<{ device: DeviceEntity; inserted: boolean }> {
    const [row] = await tx.manager.query<Array<DeviceEntity & { inserted: boolean }>>(
      `INSERT INTO devices AS d (id, user_id, client_device_id, name, platform, os, browser, trusted,
                                 trusted_at, first_seen_at, last_seen_at, last_ip)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (user_id, client_device_id) DO UPDATE
             SET last_seen_at = EXCLUDED.last_seen_at, last_ip = EXCLUDED.last_ip,
                 os = EXCLUDED.os, browser = EXCLUDED.browser
       RETURNING ${DEVICE_COLUMNS}, (xmax = 0) AS inserted`,
      [
        device.id,
        device.userId,
        device.clientDeviceId,
        device.name,
        device.platform,
        device.os,
        device.browser,
        device.trusted,
        device.trustedAt,
        device.firstSeenAt,
        device.lastSeenAt,
        device.lastIp,
      ],
    );
    const { inserted, ...stored } = row;
    return { device: stored, inserted };
  }

  /**
   * Whether the account with this normalised email has this client device id: one indexed
   * statement that needs no user id, so it runs alongside the login's user lookup.
   */
  async existsForClientOfEmail(emailNormalized: string, clientDeviceId: string): Promise<boolean> {
    const rows = await this.devices.manager.query<unknown[]>(
      `SELECT 1 FROM devices d JOIN users u ON u.id = d.user_id
        WHERE u.email_normalized = $1 AND d.client_device_id = $2`,
      [emailNormalized, clientDeviceId],
    );
    return rows.length > 0;
  }

  /** Whether the user has this client device id (one indexed lookup). */
  existsForClient(userId: string, clientDeviceId: string): Promise<boolean> {
    return this.devices.existsBy({ userId, clientDeviceId });
  }

  findById(id: string, tx?: Tx): Promise<DeviceEntity | null> {
    return (tx?.manager.getRepository(DeviceEntity) ?? this.devices).findOneBy({ id });
  }

  findOwned(userId: string, deviceId: string, tx?: Tx): Promise<DeviceEntity | null> {
    return (tx?.manager.getRepository(DeviceEntity) ?? this.devices).findOneBy({
      id: deviceId,
      userId,
    });
  }

  /** A user's devices, most recently seen first. */
  listForUser(userId: string): Promise<DeviceEntity[]> {
    return this.devices.find({ where: { userId }, order: { lastSeenAt: 'DESC' } });
  }

  build(tx: Tx, fields: Partial<DeviceEntity>): DeviceEntity {
    return tx.manager.getRepository(DeviceEntity).create(fields);
  }

  async insert(tx: Tx, device: DeviceEntity): Promise<void> {
    await tx.manager.insert(DeviceEntity, device);
  }

  async update(tx: Tx, id: string, fields: Partial<DeviceEntity>): Promise<void> {
    await tx.manager.update(DeviceEntity, { id }, fields);
  }

  async delete(tx: Tx, userId: string, id: string): Promise<void> {
    await tx.manager.delete(DeviceEntity, { id, userId });
  }
}
