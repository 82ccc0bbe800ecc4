import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { runPendingMigrations } from './migration-runner';

/** MIGRATIONS_RUN (default true): migrate before any other module touches the schema. */
@Injectable()
export class MigrationsOnStart implements OnModuleInit {
  private readonly logger = new Logger('Migrations');

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.config.migrationsRun) return;
    const applied = await runPendingMigrations(this.dataSource, Boolean(this.config.databaseUrl));
    if (applied.length > 0) this.logger.log(`applied ${applied.join(', ')}`);
  }
}
