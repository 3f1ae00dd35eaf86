/**
 * The process table a test's cleanup sees: only this test process's own children. The manager's
 * sweeps stop processes by name ("gphoto2", "gphoto2-sim"); on a machine where other test runs
 * drive their own simulators and gphoto2s at the same time, a whole-machine table would stop
 * theirs (and theirs ours). The manager's logic is the same as in the extension.
 */
import { LinuxProcessTable, type HolderScan, type ProcessInfo, type ProcessTable } from '../../src/camera/processTable';

export class OwnChildrenTable implements ProcessTable {
  private readonly table = new LinuxProcessTable();

  async list(names?: ReadonlySet<string>): Promise<ProcessInfo[]> {
    return (await this.table.list(names)).filter((p) => p.ppid === process.pid);
  }

  isAlive(proc: Pick<ProcessInfo, 'pid' | 'startTime'>): Promise<boolean> {
    return this.table.isAlive(proc);
  }

  /** A device file in a test's own folder: only that test's processes can hold it. */
  holdersOf(device: string, exclude?: ReadonlySet<number>): Promise<HolderScan> {
    return this.table.holdersOf(device, exclude);
  }
}
