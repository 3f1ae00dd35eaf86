/**
 * Kill-and-wait cleanup: finds stray processes that may hold the camera (by exact name, current user
 * only), asks them to stop, waits until they are really gone, and only then escalates. Every wait is
 * a poll of a real condition with a deadline, never a blind sleep.
 */
import type { ProcessInfo, ProcessTable } from './processTable';

export const DEFAULT_LINUX_NAMES = ['gphoto2', 'gvfs-gphoto2-volume-monitor', 'gvfsd-gphoto2'];
export const DEFAULT_MACOS_NAMES = ['gphoto2', 'PTPCamera', 'ptpcamerad'];
/** The bundled simulator names itself like this, so cleanup treats it like gphoto2. */
export const SIMULATOR_PROCESS_NAME = 'gphoto2-sim';

export function defaultCleanupNames(platform: NodeJS.Platform = process.platform): string[] {
  return platform === 'darwin' ? [...DEFAULT_MACOS_NAMES] : [...DEFAULT_LINUX_NAMES];
}

export interface ReaperOptions {
  names: readonly string[];
  /** How long SIGTERMed processes get to exit before SIGKILL. */
  termTimeoutMs: number;
  /** How long to wait for SIGKILLed processes to disappear. */
  killTimeoutMs: number;
  /** Extra pause after something was killed, for devices that need time to re-enumerate (0 = none). */
  settleMs: number;
  pollMs?: number;
}

export type ProcessEnd = 'terminated' | 'killed' | 'survived' | 'notPermitted';

export interface CleanupReport {
  found: { pid: number; name: string }[];
  ended: { pid: number; name: string; how: ProcessEnd }[];
  /** Names searched for. */
  names: string[];
  durationMs: number;
  settledMs: number;
}

export interface CleanupRequest {
  /** Pids never to touch (our own tracked child, ourselves, our parents). */
  exclude?: Iterable<number>;
}

export class ProcessReaper {
  constructor(
    private readonly table: ProcessTable,
    private options: ReaperOptions,
    private readonly uid: number | undefined = process.getuid?.(),
  ) {}

  configure(options: Partial<ReaperOptions>): void {
    this.options = { ...this.options, ...options };
  }

  get names(): readonly string[] {
    return this.options.names;
  }

  /** Stray processes that would be cleaned up now, without touching them. */
  async findStrays(request: CleanupRequest = {}): Promise<ProcessInfo[]> {
    const names = new Set(this.options.names);
    const exclude = new Set([process.pid, process.ppid, ...(request.exclude ?? [])]);
    const procs = await this.table.list(names);
    return procs.filter((p) => !exclude.has(p.pid) && (this.uid === undefined || p.uid === this.uid));
  }

  async cleanup(request: CleanupRequest = {}): Promise<CleanupReport> {
    const started = performance.now();
    const strays = await this.findStrays(request);
    const ended = new Map<number, ProcessEnd>();
    const signalled: ProcessInfo[] = [];
    for (const p of strays) {
      if (send(p.pid, 'SIGTERM') === 'notPermitted') ended.set(p.pid, 'notPermitted');
      else signalled.push(p);
    }
    let left = await this.waitGone(signalled, this.options.termTimeoutMs);
    for (const p of signalled) if (!left.includes(p)) ended.set(p.pid, 'terminated');
    if (left.length > 0) {
      for (const p of left) send(p.pid, 'SIGKILL');
      const survivors = await this.waitGone(left, this.options.killTimeoutMs);
      for (const p of left) ended.set(p.pid, survivors.includes(p) ? 'survived' : 'killed');
      left = survivors;
    }
    let settledMs = 0;
    if (signalled.length > 0 && this.options.settleMs > 0) {
      const t = performance.now();
      await delay(this.options.settleMs);
      settledMs = performance.now() - t;
    }
    return {
      found: strays.map((p) => ({ pid: p.pid, name: p.name })),
      ended: strays.map((p) => ({ pid: p.pid, name: p.name, how: ended.get(p.pid) ?? 'survived' })),
      names: [...this.options.names],
      durationMs: performance.now() - started,
      settledMs,
    };
  }

  /** Polls until every process has exited or the deadline passes; returns those still alive. */
  private async waitGone(procs: ProcessInfo[], timeoutMs: number): Promise<ProcessInfo[]> {
    const deadline = performance.now() + timeoutMs;
    const pollMs = this.options.pollMs ?? 5;
    let alive = procs;
    for (;;) {
      const states = await Promise.all(alive.map((p) => this.table.isAlive(p)));
      alive = alive.filter((_, i) => states[i]);
      if (alive.length === 0 || performance.now() >= deadline) return alive;
      await delay(Math.min(pollMs, Math.max(0, deadline - performance.now())));
    }
  }
}

function send(pid: number, signal: NodeJS.Signals): 'sent' | 'gone' | 'notPermitted' {
  try {
    process.kill(pid, signal);
    return 'sent';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? 'notPermitted' : 'gone';
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function describeCleanup(report: CleanupReport): string {
  if (report.found.length === 0) return `Nothing was holding the camera (looked for ${report.names.join(', ')}; ${Math.round(report.durationMs)} ms).`;
  const parts = report.ended.map((e) => `${e.name} (pid ${e.pid}) ${e.how}`);
  return `Stopped ${report.found.length} process${report.found.length === 1 ? '' : 'es'}: ${parts.join(', ')} in ${Math.round(report.durationMs)} ms.`;
}
