import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PasswordHasher } from './password-hasher.service';
import { NistPasswordPolicy, PasswordPolicy } from './password-policy';
import { UserEntity } from './user.entity';
import { UsersService } from './users.service';

@Module({
  imports: [TypeOrmModule.forFeature([UserEntity])],
  providers: [
    UsersService,
    PasswordHasher,
    { provide: PasswordPolicy, useValue: new NistPasswordPolicy() },
  ],
  exports: [UsersService, PasswordPolicy],
})
export class UsersModule {}
