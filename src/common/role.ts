/** A user's role. Declared here (not in users) so cross-cutting decorators need no feature module. */
export type Role = 'user' | 'admin';
