/**
 * Who a process is, beyond its pid (which the kernel reuses): its start time and the boot it runs in.
 * The lock, the simulator's device claim and the staging folders' owners all compare these.
 * Synchronous on purpose: one small /proc read, usable in exit handlers.
 */
import { readFileSync } from 'fs';

/** True while a process with this pid exists (EPERM: it exists but belongs to another user). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); undefined off Linux. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

let cachedBootId: string | undefined | null = null;

/** /proc/sys/kernel/random/boot_id (changes at every boot); undefined off Linux. */
export function bootId(): string | undefined {
  if (cachedBootId === null) {
    try {
      cachedBootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    } catch {
      cachedBootId = undefined;
    }
  }
  return cachedBootId;
}
