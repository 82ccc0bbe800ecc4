/**
 * The source of "now" for every timeout and expiry. Injected so tests move time instead of
 * sleeping; production uses SystemClock.
 */
export abstract class Clock {
  abstract now(): Date;

  nowMs(): number {
    return this.now().getTime();
  }
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that only moves when told to. Used by tests and by the bench scripts. */
export class ManualClock extends Clock {
  private current: number;

  constructor(start: Date | number = Date.UTC(2030, 0, 1)) {
    super();
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(time: Date | number): void {
    this.current = typeof time === 'number' ? time : time.getTime();
  }
}
