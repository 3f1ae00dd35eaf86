/**
 * Watches the process table every few milliseconds and records the largest number of processes
 * with the given names alive at one instant: the proof that the manager never ran two at once.
 * Only this test process's own children count, so other test runs on the machine cannot interfere.
 */
import { LinuxProcessTable, type ProcessInfo } from '../../src/camera/processTable';

export class ProcessSampler {
  private readonly table = new LinuxProcessTable();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  maxSeen = 0;
  samples = 0;
  readonly pidsSeen = new Set<number>();
  /** Children that are not camera processes although they carry the name (the simulator's --press-shutter). */
  readonly ignored = new Set<number>();

  constructor(
    private readonly names: ReadonlySet<string>,
    private readonly intervalMs = 5,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    return this;
  }

  async sample(): Promise<number> {
    if (this.busy) return this.maxSeen;
    this.busy = true;
    try {
      const procs = (await ownChildren(this.table, this.names)).filter((p) => !this.ignored.has(p.pid));
      for (const p of procs) this.pidsSeen.add(p.pid);
      this.samples++;
      this.maxSeen = Math.max(this.maxSeen, procs.length);
      return procs.length;
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.sample();
  }

  /** How many of the named processes are alive right now. */
  async current(): Promise<number> {
    return (await ownChildren(this.table, this.names)).filter((p) => !this.ignored.has(p.pid)).length;
  }
}

export async function ownChildren(table: LinuxProcessTable, names: ReadonlySet<string>): Promise<ProcessInfo[]> {
  return (await table.list(names)).filter((p) => p.ppid === process.pid);
}
