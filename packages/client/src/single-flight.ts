/**
 * Runs at most one operation at a time: callers that arrive while one is in flight share its
 * promise (and its outcome) instead of starting another. Once it settles, the next call starts a
 * new one.
 */
export class SingleFlight<T> {
  private inFlight: Promise<T> | undefined;

  run(operation: () => Promise<T>): Promise<T> {
    if (this.inFlight) return this.inFlight;
    const flight = (async () => {
      try {
        return await operation();
      } finally {
        this.inFlight = undefined;
      }
    })();
    this.inFlight = flight;
    return flight;
  }

  get busy(): boolean {
    return this.inFlight !== undefined;
  }
}
