/**
 * Where a client keeps its state: `localStorage`, `sessionStorage` or anything with the same
 * three synchronous methods. Synchronous on purpose: a read-check-write on it cannot interleave
 * with another client in the same JavaScript realm.
 */
export interface TesseraStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The default for header mode: tokens live only as long as the process (or the tab). */
export function memoryStorage(): TesseraStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

/** What a client remembers about its session. Tokens only in header mode. */
export interface SessionState {
  /** Changes on every login and refresh: a request sent under an older epoch need not refresh. */
  epoch: string;
  /** When the access token expires (ms since the epoch, the client's clock). */
  accessExpiresAt: number;
  accessToken?: string;
  refreshToken?: string;
}

function isSessionState(value: unknown): value is SessionState {
  const state = value as Partial<SessionState> | null;
  return (
    typeof state === 'object' &&
    state !== null &&
    typeof state.epoch === 'string' &&
    typeof state.accessExpiresAt === 'number'
  );
}

/** The session state under one storage key, read fresh every time (another tab may write it). */
export class SessionStateStore {
  constructor(
    private readonly storage: TesseraStorage,
    private readonly key: string,
  ) {}

  read(): SessionState | null {
    const raw = this.storage.getItem(this.key);
    if (!raw) return null;
    try {
      const parsed: unknown = JSON.parse(raw);
      return isSessionState(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }

  write(state: SessionState): void {
    this.storage.setItem(this.key, JSON.stringify(state));
  }

  clear(): void {
    this.storage.removeItem(this.key);
  }
}

let sequence = 0;

/** A value unique to this write (not a secret; only compared for equality). */
export function newEpoch(): string {
  sequence += 1;
  return `${Date.now().toString(36)}.${sequence}.${Math.random().toString(36).slice(2)}`;
}
