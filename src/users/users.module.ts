import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordHasher } from './password-hasher.service';
import { NistPasswordPolicy, PasswordPolicy } from './password-policy';
import { UserEntity } from './user.entity';
import { UsersService } from './users.service';
import { UserRepository } from './user.repository';

export interface UsersModuleOptions {
  /**
   * Decides which new passwords are acceptable (registration, change, reset, CLI). Default:
   * NistPasswordPolicy (8–128 characters, common and context-specific passwords refused).
   */
  passwordPolicy?: PasswordPolicy;
}

/**
 * Users and credentials. Created once (AppModule) and that one instance imported by each module
 * that uses UsersService: a second forRoot would build a second UsersService.
 */
@Module({})
export class UsersModule {
  static forRoot(options: UsersModuleOptions = {}): DynamicModule {
    return {
      module: UsersModule,
      imports: [TypeOrmModule.forFeature([UserEntity])],
      providers: [
        UsersService,
        UserRepository,
        PasswordHasher,
        { provide: PasswordPolicy, useValue: options.passwordPolicy ?? new NistPasswordPolicy() },
      ],
      exports: [UsersService, PasswordPolicy],
    };
  }
}
