import { CancellationScope, condition, sleep } from '@temporalio/workflow';

/** A deadline that can move while the workflow waits for it: a window's end, which setEnd moves. */
export class MovableDeadline {
  constructor(private at: number) {}

  get ms(): number {
    return this.at;
  }

  move(to: number): void {
    this.at = to;
  }

  /** Waits until the deadline passes or `stop()` holds; `moved` runs after each move made during the wait. */
  async wait(stop: () => boolean, moved: () => Promise<void>): Promise<void> {
    for (;;) {
      const waitingFor = this.at;
      const remaining = waitingFor - Date.now();
      if (stop() || remaining <= 0) return;
      await condition(() => stop() || this.at !== waitingFor, remaining);
      if (this.at !== waitingFor && !stop()) await moved();
    }
  }
}

/**
 * A wake-up timer kept across waits and moved only when something falls due before it: a timer per wait, cancelled
 * when a message ends the wait, would be two history events and a server timer task at every window's end. A timer
 * set for an earlier wait may ring before anything is due (a claim since released): the wait then goes on.
 */
export class WakeUpAlarm {
  private armed: { at: number; scope: CancellationScope; rang: boolean } | undefined;

  /** Waits until `woken()` holds, or until the time `due()` gives (undefined: nothing due) has come. */
  async sleep(due: () => number | undefined, woken: () => boolean): Promise<void> {
    for (;;) {
      const at = due();
      if (at !== undefined && at <= Date.now()) return;
      if (at !== undefined && !(this.armed && this.armed.at <= at)) this.arm(at);
      await condition(() => woken() || this.armed?.rang === true);
      if (this.armed?.rang) this.armed = undefined;
      if (woken()) return;
    }
  }

  private arm(at: number): void {
    this.armed?.scope.cancel();
    const scope = new CancellationScope();
    const armed = { at, scope, rang: false };
    this.armed = armed;
    // Cancelled when moved earlier (or with the workflow): nothing waits for it then.
    scope
      .run(() => sleep(at - Date.now()))
      .then(
        () => void (armed.rang = true),
        () => undefined,
      );
  }
}
