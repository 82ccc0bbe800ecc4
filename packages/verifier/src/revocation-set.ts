/**
 * Session ids whose access tokens must be refused, each kept until no token of it can still be
 * valid (its end plus the longest token lifetime). Lookups are in memory.
 */
export class RevocationSet {
  private readonly endedAt = new Map<string, number>();
  private lastPruneMs = 0;

  constructor(
    private readonly keepMs: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.endedAt.size;
  }

  add(sessionId: string, endedAtMs: number): void {
    const known = this.endedAt.get(sessionId);
    this.endedAt.set(sessionId, known === undefined ? endedAtMs : Math.min(known, endedAtMs));
    this.prune();
  }

  has(sessionId: string): boolean {
    const endedAtMs = this.endedAt.get(sessionId);
    return endedAtMs !== undefined && endedAtMs + this.keepMs > this.now();
  }

  /** At most once a second: a full scan is cheap, but not per event. */
  private prune(): void {
    const nowMs = this.now();
    if (nowMs - this.lastPruneMs < 1000) return;
    this.lastPruneMs = nowMs;
    for (const [id, endedAtMs] of this.endedAt) {
      if (endedAtMs + this.keepMs <= nowMs) this.endedAt.delete(id);
    }
  }
}
