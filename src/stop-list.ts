/**
 * What a process started, to stop the last first: a client before the server it talks to. A stop that fails is
 * reported and the others still run, so one broken part does not leave the rest running.
 */
export class StopList {
  private readonly stops: Array<() => Promise<unknown>> = [];

  constructor(private readonly onError: (err: unknown) => void) {}

  push(stop: () => Promise<unknown>): void {
    this.stops.push(stop);
  }

  async stopAll(): Promise<void> {
    for (const stop of this.stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
