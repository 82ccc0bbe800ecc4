import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { DataSourceOptions } from 'typeorm';
import { MigrationsOnStart } from './migrations-on-start.service';

@Module({})
export class DatabaseModule {
  static forRoot(options: DataSourceOptions): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRoot({
          ...options,
          // Migrations run in MigrationsOnStart, under a lock when the database is shared.
          migrationsRun: false,
          // Start-up retries belong to the orchestrator; fail fast and say why.
          retryAttempts: 2,
          retryDelay: 1000,
        }),
      ],
      providers: [MigrationsOnStart],
    };
  }
}
