/**
 * Kill-and-wait cleanup of whatever keeps the camera from being claimed. On Linux with a known USB
 * port it is as precise as fuser: it finds the processes that hold the camera's device node
 * (/dev/bus/usb/BBB/DDD) open, stops those that are ours to stop (this user's, named in the cleanup
 * list) and only NAMES every other holder (darktable, Entangle, another user's gphoto2...). Without a
 * usable port it falls back to stopping this user's processes by exact name. Names on a deny list
 * (shells, editors, init...) are never signalled, and every signal is preceded by a check that the
 * pid still belongs to the process we found. Every wait polls a real condition with a deadline.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { ProcessInfo, ProcessTable } from './processTable';

export const DEFAULT_LINUX_NAMES = ['gphoto2', 'gvfs-gphoto2-volume-monitor', 'gvfsd-gphoto2'];
export const DEFAULT_MACOS_NAMES = ['gphoto2', 'PTPCamera', 'ptpcamerad'];
/** The bundled simulator names itself like this, so cleanup treats it like gphoto2. */
export const SIMULATOR_PROCESS_NAME = 'gphoto2-sim';
/** Where Linux (udev/devtmpfs) puts USB device nodes: usb:001,004 is /dev/bus/usb/001/004. */
export const DEFAULT_USB_DEVICE_ROOT = '/dev/bus/usb';

/**
 * Stopped by name even when the port is known and they do not hold the device right now.
 * gvfs-gphoto2-volume-monitor is one per desktop session, serves no camera in particular, and is what
 * (through gvfsd) grabs a camera again on every hotplug or probe; GNOME restarts it when needed.
 * gvfsd-gphoto2 is deliberately NOT here: there is one per mounted camera and it holds that camera's
 * device for as long as the mount lasts, so the device scan stops it when it holds OUR camera and
 * leaves one that serves another camera (a copy in progress in the file manager) alone.
 */
export const HOTPLUG_DAEMONS: ReadonlySet<string> = new Set(['gvfs-gphoto2-volume-monitor']);

/**
 * Names cleanup never signals, even when a user lists them in cleanup.processNames: the editor and
 * its extension host, Node and other runtimes (the simulator is found by its own name), shells,
 * session and system daemons. Compared without regard to case (macOS names are capitalised).
 */
export const NEVER_STOP_NAMES: ReadonlySet<string> = new Set([
  'node',
  'nodejs',
  'deno',
  'bun',
  'electron',
  'code',
  'code-insiders',
  'code-oss',
  'code-server',
  'code-tunnel',
  'codium',
  'vscodium',
  'cursor',
  'windsurf',
  'bash',
  'sh',
  'zsh',
  'fish',
  'dash',
  'ksh',
  'mksh',
  'csh',
  'tcsh',
  'busybox',
  'tmux',
  'screen',
  'init',
  'systemd',
  'launchd',
  'kernel_task',
  'sshd',
  'ssh',
  'login',
  'sudo',
  'su',
  'doas',
  'pkexec',
  'polkitd',
  'dbus-daemon',
  'dbus-broker',
  'xorg',
  'xwayland',
  'gnome-shell',
  'gnome-session-binary',
  'kwin_x11',
  'kwin_wayland',
  'plasmashell',
  'gdm',
  'lightdm',
  'sddm',
  'gvfsd',
  'loginwindow',
  'windowserver',
  'finder',
  'dock',
]);

/** True for a name cleanup must never signal (the list above, and the runtime this code runs in). */
export function isNeverStopped(name: string): boolean {
  const lower = name.toLowerCase();
  return NEVER_STOP_NAMES.has(lower) || lower === path.basename(process.execPath).toLowerCase();
}

export function defaultCleanupNames(platform: NodeJS.Platform = process.platform): string[] {
  return platform === 'darwin' ? [...DEFAULT_MACOS_NAMES] : [...DEFAULT_LINUX_NAMES];
}

/** `usb:001,004` (or `usb:1,4`) -> `<root>/001/004`; undefined for any other port form. */
export function usbDevicePath(port: string | undefined, root: string = DEFAULT_USB_DEVICE_ROOT): string | undefined {
  const m = port === undefined ? null : /^usb:(\d{1,3}),(\d{1,3})$/.exec(port.trim());
  if (!m) return undefined;
  return path.join(root, m[1].padStart(3, '0'), m[2].padStart(3, '0'));
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
  /** The selected gphoto2 port; `usb:BBB,DDD` enables the device scan, anything else falls back to names. */
  port?: string;
  /** Where USB device nodes live (default /dev/bus/usb); tests and the simulator use a folder of plain files. */
  usbDeviceRoot?: string;
}

export type ProcessEnd = 'terminated' | 'killed' | 'survived' | 'notPermitted' | 'alreadyGone';

export interface Holder {
  pid: number;
  name: string;
  /** Runs as another user: only that user or an administrator can close it. */
  otherUser?: boolean;
}

export interface CleanupReport {
  /** Processes cleanup set out to stop. */
  found: { pid: number; name: string }[];
  ended: { pid: number; name: string; how: ProcessEnd }[];
  /** Processes that hold the camera's device but were not ours to stop: close them by hand. */
  others: Holder[];
  /** 'device': holders of the device node were found; 'names': processes were matched by name. */
  method: 'device' | 'names';
  /** The device node that was scanned (method 'device'), or the one that could not be used. */
  device?: string;
  /** Why names were used although a port was set (the node is missing, not Linux...). */
  fallback?: string;
  /** Processes whose open files we may not read (other users', unless we are root). */
  uninspected: number;
  /** Configured names that are on the deny list and were never signalled. */
  refused: string[];
  /** Names searched for (after the deny list). */
  names: string[];
  durationMs: number;
  settledMs: number;
}

export interface CleanupRequest {
  /** Pids never to touch (our own tracked child, ourselves, our parents). */
  exclude?: Iterable<number>;
}

interface Plan {
  stop: ProcessInfo[];
  others: Holder[];
  method: 'device' | 'names';
  device?: string;
  fallback?: string;
  uninspected: number;
}

export class ProcessReaper {
  constructor(
    private readonly table: ProcessTable,
    private options: ReaperOptions,
    private readonly uid: number | undefined = process.getuid?.(),
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  configure(options: Partial<ReaperOptions>): void {
    this.options = { ...this.options, ...options };
  }

  get names(): readonly string[] {
    return this.options.names;
  }

  /** Stray processes that cleanup would stop now, without touching them. */
  async findStrays(request: CleanupRequest = {}): Promise<ProcessInfo[]> {
    return (await this.plan(request)).stop;
  }

  async cleanup(request: CleanupRequest = {}): Promise<CleanupReport> {
    const started = performance.now();
    const plan = await this.plan(request);
    const ended = new Map<number, ProcessEnd>();
    const signalled: ProcessInfo[] = [];
    for (const p of plan.stop) {
      const sent = await signalIfSame(this.table, p, 'SIGTERM');
      if (sent === 'sent') signalled.push(p);
      else ended.set(p.pid, sent === 'notPermitted' ? 'notPermitted' : 'alreadyGone');
    }
    const left = await this.waitGone(signalled, this.options.termTimeoutMs);
    for (const p of signalled) if (!left.includes(p)) ended.set(p.pid, 'terminated');
    if (left.length > 0) {
      const killed: ProcessInfo[] = [];
      for (const p of left) {
        // Exited between the last poll and now (its pid may already be someone else's): no SIGKILL.
        if ((await signalIfSame(this.table, p, 'SIGKILL')) === 'sent') killed.push(p);
        else ended.set(p.pid, 'terminated');
      }
      const survivors = await this.waitGone(killed, this.options.killTimeoutMs);
      for (const p of killed) ended.set(p.pid, survivors.includes(p) ? 'survived' : 'killed');
    }
    let settledMs = 0;
    if (signalled.length > 0 && this.options.settleMs > 0) {
      const t = performance.now();
      await delay(this.options.settleMs);
      settledMs = performance.now() - t;
    }
    return {
      found: plan.stop.map((p) => ({ pid: p.pid, name: p.name })),
      ended: plan.stop.map((p) => ({ pid: p.pid, name: p.name, how: ended.get(p.pid) ?? 'survived' })),
      others: plan.others,
      method: plan.method,
      device: plan.device,
      fallback: plan.fallback,
      uninspected: plan.uninspected,
      refused: this.options.names.filter((n) => isNeverStopped(n)),
      names: this.allowedNames(),
      durationMs: performance.now() - started,
      settledMs,
    };
  }

  private allowedNames(): string[] {
    return [...new Set(this.options.names)].filter((n) => !isNeverStopped(n));
  }

  private isOurs(p: ProcessInfo): boolean {
    return this.uid === undefined || p.uid === this.uid;
  }

  private async plan(request: CleanupRequest): Promise<Plan> {
    const names = new Set(this.allowedNames());
    const exclude = new Set([process.pid, process.ppid, ...(request.exclude ?? [])]);
    const device = usbDevicePath(this.options.port, this.options.usbDeviceRoot);
    const byName = async (fallback?: string): Promise<Plan> => {
      const procs = names.size === 0 ? [] : await this.table.list(names);
      // Checked again here although the names were filtered: a table may report argv[0] names.
      const stop = procs.filter((p) => !exclude.has(p.pid) && this.isOurs(p) && !isNeverStopped(p.name));
      return { stop, others: [], method: 'names', device, fallback, uninspected: 0 };
    };
    if (this.options.port === undefined || this.options.port.trim() === '') return byName();
    if (device === undefined) return byName(`the port ${this.options.port} is not a USB bus address (usb:BBB,DDD)`);
    if (this.platform !== 'linux' || !this.table.holdersOf) return byName('open files are only looked up on Linux');
    try {
      await fs.stat(device);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return byName(
        code === 'ENOENT'
          ? `${device} does not exist (the camera is unplugged, or it got a new address: detect it again)`
          : `${device} cannot be checked (${code ?? String(err)})`,
      );
    }
    const scan = await this.table.holdersOf(device, exclude);
    const stop: ProcessInfo[] = [];
    const others: Holder[] = [];
    for (const h of scan.holders) {
      if (this.isOurs(h) && names.has(h.name) && !isNeverStopped(h.name)) stop.push(h);
      else others.push(this.isOurs(h) ? { pid: h.pid, name: h.name } : { pid: h.pid, name: h.name, otherUser: true });
    }
    const daemons = [...names].filter((n) => HOTPLUG_DAEMONS.has(n));
    if (daemons.length > 0) {
      for (const p of await this.table.list(new Set(daemons))) {
        if (!exclude.has(p.pid) && this.isOurs(p) && !stop.some((s) => s.pid === p.pid)) stop.push(p);
      }
    }
    return { stop, others, method: 'device', device, uninspected: scan.uninspected };
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

/**
 * Sends `signal` only if `proc` still runs as the process that was listed: same pid AND same start
 * time. Between listing and signalling the process may have exited and its pid been given to
 * something else, which must never get our signal. (A window of microseconds remains between this
 * check and kill(); closing it needs pidfds, which Node does not offer.)
 */
export async function signalIfSame(
  table: ProcessTable,
  proc: Pick<ProcessInfo, 'pid' | 'startTime'>,
  signal: NodeJS.Signals,
): Promise<'sent' | 'gone' | 'notPermitted'> {
  // kill(0) and kill(-1) signal whole groups, kill(1) init: a bad pid must never get that far.
  if (!Number.isInteger(proc.pid) || proc.pid <= 1 || proc.pid === process.pid) return 'gone';
  if (!(await table.isAlive(proc))) return 'gone';
  return send(proc.pid, signal);
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

/** "darktable (pid 1234) holds the camera; close it." for the busy error and the cleanup report; '' for none. */
export function describeHolders(others: readonly Holder[]): string {
  if (others.length === 0) return '';
  const list = others.map((o) => `${o.name} (pid ${o.pid}${o.otherUser ? ", another user's" : ''})`);
  const joined = list.length === 1 ? list[0] : `${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
  const fix = others.some((o) => o.otherUser)
    ? `close ${others.length === 1 ? 'it' : 'them'} (another user's program can only be closed by that user or an administrator)`
    : `close ${others.length === 1 ? 'it' : 'them'}`;
  return `${joined} ${others.length === 1 ? 'holds' : 'hold'} the camera; ${fix}.`;
}

export function describeCleanup(report: CleanupReport): string {
  const ms = Math.round(report.durationMs);
  const parts: string[] = [];
  if (report.found.length > 0) {
    const ended = report.ended.map(
      (e) => `${e.name} (pid ${e.pid}) ${e.how === 'alreadyGone' ? 'had already exited' : e.how}`,
    );
    parts.push(
      `Stopped ${report.found.length} process${report.found.length === 1 ? '' : 'es'}: ${ended.join(', ')} in ${ms} ms.`,
    );
  } else if (report.method === 'device') {
    parts.push(`Nothing of ours was holding the camera (${report.device}; ${ms} ms).`);
  } else {
    parts.push(`Nothing was holding the camera (looked for ${report.names.join(', ') || 'no names'}; ${ms} ms).`);
  }
  if (report.others.length > 0) parts.push(describeHolders(report.others));
  else if (report.method === 'device' && report.found.length === 0 && report.uninspected > 0) {
    // Relevant only when nothing was found: then, if the camera stays busy, the holder is one of these.
    parts.push(
      `${report.uninspected} process${report.uninspected === 1 ? '' : 'es'} of other users could not be checked; if the camera stays busy, one of them may hold it, and only that user or an administrator can close it.`,
    );
  }
  if (report.method === 'names' && report.fallback) parts.push(`Looked by name only: ${report.fallback}.`);
  if (report.refused.length > 0) parts.push(`Never stopped, whatever the settings say: ${report.refused.join(', ')}.`);
  return parts.join(' ');
}
