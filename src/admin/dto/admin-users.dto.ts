import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsEmail,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import type { Role } from '../../users/user.entity';
import { PageQueryDto } from '../../common/page-query.dto';
import { PageDto } from '../../common/page-dto.factory';
import type { UserView } from '../../users/users.service';
import type { AdminUserDetail } from '../admin-users.service';

const ROLES: readonly Role[] = ['user', 'admin'];

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    description: 'Only users whose email starts with this (case-insensitive), e.g. `alice@`',
    maxLength: 254,
  })
  @IsOptional()
  @IsString()
  @MaxLength(254)
  email?: string;
}

export class UpdateUserDto {
  @ApiPropertyOptional({
    description: 'The complete set of roles; `user` is always kept',
    enum: ROLES,
    isArray: true,
    example: ['user', 'admin'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles?: Role[];

  @ApiPropertyOptional({
    description: 'Lock (true) or unlock (false). Locking also revokes every session of the user.',
    example: true,
  })
  @IsOptional()
  @IsBoolean()
  locked?: boolean;
}

export class AdminUserDto implements UserView {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ example: 'alice@example.com' })
  email!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Alice' })
  displayName!: string | null;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['user'] })
  roles!: Role[];

  @ApiProperty({ description: 'Locked by an administrator', example: false })
  locked!: boolean;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class AdminUserDetailDto extends AdminUserDto implements AdminUserDetail {
  @ApiProperty({ description: 'Sessions live now', example: 2 })
  activeSessions!: number;

  @ApiProperty({ description: 'Sessions ever started and not yet purged', example: 14 })
  totalSessions!: number;

  @ApiProperty({ description: 'Known devices', example: 3 })
  devices!: number;
}

export class AdminUserPageDto extends PageDto(AdminUserDto, {
  description: 'Pass as ?cursor= for the next page',
  example: undefined,
}) {}

export class RevokedSessionsDto {
  @ApiProperty({ description: 'How many sessions this request revoked', example: 3 })
  revoked!: number;
}

/** An account created by an administrator for a user (support); without a password, an invitation. */
export class CreateUserDto {
  @ApiProperty({
    description: 'The login email; unique regardless of case',
    format: 'email',
    maxLength: 254,
  })
  @IsEmail({}, { message: 'must be a valid email address' })
  @MaxLength(254)
  email!: string;

  @ApiPropertyOptional({
    description:
      'Initial password (8–128 characters, policy-checked). Leave it out to invite: the account ' +
      'gets an unusable random password and the user a password-reset message to choose one.',
    minLength: 1,
    maxLength: 1024,
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  password?: string;

  @ApiPropertyOptional({ minLength: 1, maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  displayName?: string;

  @ApiPropertyOptional({ enum: ROLES, isArray: true, description: '`user` is always included' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(ROLES.length)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles?: Role[];
}
