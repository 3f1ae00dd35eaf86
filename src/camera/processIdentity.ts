/**
 * Who a process is, beyond its pid (which the kernel reuses): its start time and the boot it runs in.
 * The lock, the simulator's device claim and the staging folders' owners all compare these.
 * Synchronous on purpose: one small /proc read, usable in exit handlers.
 */
import { readFileSync } from 'fs';
import { constants as osConstants } from 'os';

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

/**
 * Whether the process has a handler for `signal` now (the SigCgt mask of /proc/<pid>/status);
 * undefined where that cannot be known (not Linux, the process gone). Sending SIGUSR1 to a gphoto2
 * before its main() installed the handler would kill it.
 */
export function catchesSignal(pid: number, signal: 'SIGUSR1' | 'SIGUSR2'): boolean | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const start = status.indexOf('\nSigCgt:');
  if (start < 0) return undefined;
  const end = status.indexOf('\n', start + 1);
  const hex = status.slice(start + 8, end < 0 ? undefined : end).trim();
  if (!/^[0-9a-fA-F]{1,32}$/.test(hex)) return undefined;
  const signo = osConstants.signals[signal];
  return ((BigInt(`0x${hex}`) >> BigInt(signo - 1)) & 1n) === 1n;
}
