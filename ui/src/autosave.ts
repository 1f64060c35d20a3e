// Throttled autosave. The first unsaved change starts a clock; a save runs at
// most `maxDelayMs` after it however much the user keeps typing (a throttle,
// not a debounce that could starve). A failed save leaves the change marked
// unsaved and is retried with backoff; the content is always read fresh from
// the source (`read`), so nothing typed is dropped by a failure.

export type SaveStatus =
  | { kind: "clean" }
  | { kind: "pending" }
  | { kind: "saving" }
  | { kind: "saved"; at: Date }
  | { kind: "failed"; error: unknown; willRetry: boolean };

export interface AutosaveOptions<T> {
  /** Snapshot of the current content, taken when a save starts. */
  read: () => T;
  save: (value: T) => Promise<void>;
  /** Longest time an unsaved change waits before a save starts. */
  maxDelayMs?: number;
  /** Waits before successive retries after failures; the last one repeats. */
  retryDelaysMs?: number[];
  /** False stops automatic retries (a later change or flush tries again). */
  isRetryable?: (error: unknown) => boolean;
  onStatus?: (status: SaveStatus) => void;
}

export const DEFAULT_MAX_DELAY_MS = 400;
export const DEFAULT_RETRY_DELAYS_MS = [1000, 2000, 5000, 10000];

export class Autosaver<T> {
  private readonly opts: Required<Omit<AutosaveOptions<T>, "onStatus">> &
    Pick<AutosaveOptions<T>, "onStatus">;
  private dirty = false;
  private dirtySince = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private failures = 0;
  private halted = false;
  private disposed = false;
  private current: SaveStatus = { kind: "clean" };

  constructor(options: AutosaveOptions<T>) {
    this.opts = {
      maxDelayMs: DEFAULT_MAX_DELAY_MS,
      retryDelaysMs: DEFAULT_RETRY_DELAYS_MS,
      isRetryable: () => true,
      ...options,
    };
  }

  get status(): SaveStatus {
    return this.current;
  }

  /** True while some change has not been confirmed saved. */
  get hasUnsavedChanges(): boolean {
    return this.dirty || this.inFlight !== null;
  }

  /** Records that the content changed. */
  markChanged(): void {
    if (this.disposed) return;
    if (!this.dirty) {
      this.dirty = true;
      this.dirtySince = Date.now();
    }
    this.halted = false;
    if (this.current.kind !== "saving" && this.current.kind !== "failed") {
      this.setStatus({ kind: "pending" });
    }
    this.schedule();
  }

  /**
   * Saves any unsaved change now (after a save already running). Resolves to
   * true when everything is saved, false when the last attempt failed; retries
   * continue in the background in that case.
   */
  async flush(): Promise<boolean> {
    this.clearTimer();
    if (this.inFlight) await this.inFlight;
    if (this.dirty && !this.disposed) {
      this.clearTimer();
      this.start();
      await this.inFlight;
    }
    return !this.dirty;
  }

  /** Stops all timers; unsaved changes are no longer saved automatically. */
  dispose(): void {
    this.disposed = true;
    this.clearTimer();
  }

  private setStatus(status: SaveStatus): void {
    this.current = status;
    this.opts.onStatus?.(status);
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private retryDelay(): number {
    const delays = this.opts.retryDelaysMs;
    return delays[Math.min(this.failures - 1, delays.length - 1)] ?? this.opts.maxDelayMs;
  }

  private schedule(): void {
    if (this.disposed || this.halted || !this.dirty) return;
    if (this.timer !== null || this.inFlight !== null) return;
    const delay =
      this.failures > 0
        ? this.retryDelay()
        : Math.max(0, this.dirtySince + this.opts.maxDelayMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.start();
    }, delay);
  }

  private start(): void {
    if (!this.dirty || this.inFlight !== null) return;
    const startedDirtySince = this.dirtySince;
    this.dirty = false;
    this.setStatus({ kind: "saving" });
    let saving: Promise<void>;
    try {
      saving = this.opts.save(this.opts.read());
    } catch (e) {
      saving = Promise.reject(e);
    }
    this.inFlight = saving.then(
      () => {
        this.failures = 0;
        this.setStatus(this.dirty ? { kind: "pending" } : { kind: "saved", at: new Date() });
      },
      (error: unknown) => {
        // The change is still unsaved: keep it marked, with its original age.
        if (!this.dirty) {
          this.dirty = true;
          this.dirtySince = startedDirtySince;
        } else {
          this.dirtySince = Math.min(this.dirtySince, startedDirtySince);
        }
        this.failures += 1;
        const willRetry = !this.disposed && this.opts.isRetryable(error);
        this.halted = !willRetry;
        this.setStatus({ kind: "failed", error, willRetry });
      },
    ).finally(() => {
      this.inFlight = null;
      this.schedule();
    });
  }
}
