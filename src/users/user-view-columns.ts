import type { Role } from './user.entity';
import type { UserViewSource } from './users.service';

/** The user columns other modules' repositories join (read-only) to save a round trip. */
export const USER_VIEW_SELECT = `u.email AS user_email, u.display_name AS user_display_name,
  u.roles AS user_roles, u.locked AS user_locked, u.created_at AS user_created_at`;

/** A row carrying USER_VIEW_SELECT's columns. */
export interface UserViewColumns {
  user_id: string;
  user_email: string;
  user_display_name: string | null;
  user_roles: Role[];
  user_locked: boolean;
  user_created_at: Date | string;
}

/** The user of a row that joined USER_VIEW_SELECT. */
export function userFromColumns(row: UserViewColumns): UserViewSource {
  return {
    id: row.user_id,
    email: row.user_email,
    displayName: row.user_display_name,
    roles: row.user_roles,
    locked: row.user_locked,
    createdAt: new Date(row.user_created_at),
  };
}
