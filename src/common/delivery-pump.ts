import { BackgroundWorker, type WorkerSchedule } from './background-worker';

/** A delivery under way: its request can be aborted, and `done` settles when it has ended. */
export interface InFlightDelivery {
  abort: AbortController;
  done: Promise<void>;
}

const POLL_INTERVAL_MS = 1000;

/**
 * The shape shared by the workers that deliver to outside receivers (webhooks, SSF push): a
 * pump that claims due rows and starts their requests, kicked by a 1 s timer and by new work;
 * kicks during a pump coalesce into one more; at shutdown the requests in flight are aborted
 * (their leases run out and another instance delivers them).
 */
export abstract class DeliveryPump<
  Delivery extends InFlightDelivery = InFlightDelivery,
> extends BackgroundWorker {
  /** Deliveries started by this instance and not yet ended, by row id. */
  protected readonly inFlight = new Map<string, Delivery>();
  private pumping?: Promise<void>;
  private again = false;

  /** Claims due rows and starts their deliveries (without waiting for them to end). */
  protected abstract pump(): Promise<void>;

  protected schedule(): WorkerSchedule {
    return { intervalMs: POLL_INTERVAL_MS, firstRunMs: 0 };
  }

  protected tick(): void {
    this.kick();
  }

  protected override async drain(): Promise<void> {
    for (const { abort } of this.inFlight.values()) abort.abort();
    await this.pumping;
    await this.settled();
  }

  /** Looks for due rows now (calls while a look is under way coalesce into one more). */
  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump()
      .catch((error: unknown) => this.reportFailure(error))
      .finally(() => {
        this.pumping = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Delivers everything due now and waits for it (tests; the timers do this in production). */
  async flush(): Promise<void> {
    while (this.pumping) await this.pumping;
    await this.pump();
    await this.settled();
  }

  private async settled(): Promise<void> {
    await Promise.all([...this.inFlight.values()].map((entry) => entry.done));
  }
}
