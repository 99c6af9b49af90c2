// A value read in the background every interval and served from memory, so that probes and scrapes, however
// many, cost the dependencies nothing more than the refresh (issue 23: they must not spend the Cloud Ops budget).
import type { FastifyInstance } from 'fastify';

export interface Reading<T> {
  value: T;
  /** When the reading was taken (epoch ms). */
  at: number;
}

export class Refreshed<T> {
  private current: Reading<T> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly intervalMs: number,
    /** A failed reading keeps the last one (its age tells how old); this hears why. */
    private readonly onError: (err: unknown) => void,
  ) {}

  /** The last reading; null before the first one ended. */
  get last(): Reading<T> | null {
    return this.current;
  }

  /** One reading now; a call while one runs waits for that one rather than starting another. */
  refresh(): Promise<void> {
    this.running ??= this.read()
      .then(
        (value) => {
          this.current = { value, at: Date.now() };
        },
        (err: unknown) => this.onError(err),
      )
      .finally(() => (this.running = null));
    return this.running;
  }

  /** Takes a reading now and one every interval until stop(); resolves once the first one ended. */
  start(): Promise<void> {
    this.timer ??= setInterval(() => void this.refresh(), this.intervalMs).unref();
    return this.refresh();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Refreshes while the app runs, from when it is ready (waiting for the first reading if asked) until it closes. */
  bindTo(app: FastifyInstance, { waitForFirst }: { waitForFirst: boolean }): this {
    app.addHook('onReady', async () => {
      const first = this.start();
      if (waitForFirst) await first;
    });
    app.addHook('onClose', () => this.stop());
    return this;
  }
}

/** Seconds since a reading, with millisecond precision; null without one. */
export function ageSeconds(reading: Reading<unknown> | null, now = Date.now()): number | null {
  return reading === null ? null : Math.max(0, now - reading.at) / 1000;
}
