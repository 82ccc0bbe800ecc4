import { ApiProperty } from '@nestjs/swagger';
import type { Role } from '../../users/user.entity';
import type { UserView } from '../../users/users.service';

const ROLES: readonly Role[] = ['user', 'admin'];

/** A user as the API shows it (documents UsersService's UserView). */
export class UserViewDto implements UserView {
  @ApiProperty({ format: 'uuid', example: '3f0c9a52-8a6e-4c4b-9f0e-2d2f5e1b7a10' })
  id!: string;

  @ApiProperty({ description: 'The login email', example: 'alice@example.com' })
  email!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Alice' })
  displayName!: string | null;

  @ApiProperty({ enum: ROLES, isArray: true, example: ['user'] })
  roles!: Role[];

  @ApiProperty({ description: 'Locked by an administrator', example: false })
  locked!: boolean;

  @ApiProperty({ format: 'date-time', example: '2026-01-15T09:30:00.000Z' })
  createdAt!: string;
}

/** POST /auth/register. */
export class RegisterResponseDto {
  @ApiProperty({ type: UserViewDto, description: 'The new account; it is not signed in' })
  user!: UserViewDto;
}
