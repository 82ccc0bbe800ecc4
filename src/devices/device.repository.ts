import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import type { Tx } from '../events/transaction-runner.service';
import { DeviceEntity } from './device.entity';

/** The devices table. */
@Injectable()
export class DeviceRepository {
  constructor(@InjectRepository(DeviceEntity) private readonly devices: Repository<DeviceEntity>) {}

  findByClientId(tx: Tx, userId: string, clientDeviceId: string): Promise<DeviceEntity | null> {
    return tx.manager.getRepository(DeviceEntity).findOneBy({ userId, clientDeviceId });
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
