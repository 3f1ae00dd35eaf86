/**
 * One simulator run: output, signals and exit. Signals behave like gphoto2's signal_exit(): the
 * first SIGINT/SIGTERM prints "Cancelling..." (unless quiet) and asks the work to stop at its next
 * safe point; a second one prints "Aborting..." and exits 1 at once. Every exit path releases the
 * device lock (a SIGKILL cannot, and the next run then finds the lock stale).
 */
import type { DeviceLock } from '../camera/deviceLock';

/** Thrown at a safe point after the first signal; gphoto2 reports it as "Operation cancelled." (exit 1). */
export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

export class Session {
  quiet = false;
  lock: DeviceLock | undefined;
  /** gphoto2's `capture_now`: set by SIGUSR1, read (and cleared) by the event wait. */
  captureNow = false;
  /** gphoto2's `end_next`: set by SIGUSR2, read (and cleared) by the event wait. */
  endNext = false;
  private signals = 0;
  private readonly wakers = new Set<() => void>();
  private readonly userSignalWakers = new Set<() => void>();
  private readonly stopListeners = new Set<(signal: NodeJS.Signals) => void>();

  constructor(readonly argv: readonly string[]) {
    // gphoto2 installs its SIGUSR1/SIGUSR2 handlers first thing in main(): they only set a flag.
    // (Node would otherwise start its inspector on SIGUSR1 and die on SIGUSR2.)
    process.on('SIGUSR1', () => {
      this.captureNow = true;
      for (const wake of [...this.userSignalWakers]) wake();
    });
    process.on('SIGUSR2', () => {
      this.endNext = true;
      for (const wake of [...this.userSignalWakers]) wake();
    });
    // Last resort for exits that bypass exit(): never leave our own lock behind.
    process.on('exit', () => this.lock?.release());
    // A reader that went away (closed pipe) must not crash us with an unhandled 'error' event.
    process.stdout.on('error', () => this.exit(1));
    process.stderr.on('error', () => undefined);
  }

  get cancelled(): boolean {
    return this.signals > 0;
  }

  /** gphoto2 only installs its handlers once the camera is about to be used; before that a signal kills it. */
  installSignalHandlers(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.signals++;
      if (this.signals === 1) {
        if (!this.quiet) this.out('\nCancelling...\n');
        for (const wake of [...this.wakers]) wake();
        for (const listener of [...this.stopListeners]) listener(signal);
        return;
      }
      if (!this.quiet) this.out('\nAborting...\nAborted.\n');
      this.exit(1);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  out(text: string | Buffer): void {
    process.stdout.write(text);
  }

  err(text: string): void {
    process.stderr.write(text);
  }

  /**
   * Forgets a SIGINT/SIGTERM (gphoto2's shell clears glob_cancel after a cancelled command and goes
   * on); the next signal counts as the first again.
   */
  clearCancel(): void {
    this.signals = 0;
  }

  /** Throws CancelledError once a signal has arrived: the "next safe point". */
  checkpoint(): void {
    if (this.cancelled) throw new CancelledError();
  }

  /** Sleeps `ms` (negative = forever); throws CancelledError as soon as a signal arrives. */
  async sleep(ms: number): Promise<void> {
    this.checkpoint();
    await this.wait(ms);
    this.checkpoint();
  }

  /** Sleeps `ms` (negative = forever) but returns early, without throwing, when a signal arrives. */
  wait(ms: number): Promise<void> {
    if (this.cancelled || ms === 0) return Promise.resolve();
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      this.wakers.add(done);
      if (ms > 0) timer = setTimeout(done, ms);
      else timer = setInterval(() => undefined, 1 << 30); // keeps the event loop alive while waiting forever
    });
  }

  /** Calls `listener` with the first SIGINT/SIGTERM (after `Cancelling...`); returns the function that unregisters it. */
  onStopSignal(listener: (signal: NodeJS.Signals) => void): () => void {
    this.stopListeners.add(listener);
    return () => this.stopListeners.delete(listener);
  }

  /** Calls `wake` at the next SIGUSR1/SIGUSR2; returns the function that unregisters it. */
  onUserSignal(wake: () => void): () => void {
    this.userSignalWakers.add(wake);
    return () => this.userSignalWakers.delete(wake);
  }

  exit(code: number): never {
    this.lock?.release();
    process.exit(code);
  }
}
