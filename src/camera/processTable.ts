/**
 * Reads the process table: which processes exist, their exact names and owners. On Linux it reads
 * /proc directly (no child process, a few milliseconds); elsewhere it asks `ps`. On Linux it also
 * finds which processes hold a device file open.
 */
import * as fsSync from 'fs';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { ProcessRunner, RunResult } from './processRunner';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  uid: number;
  /** The exact program name: argv[0]'s base name when the kernel's 15-character comm is cut short. */
  name: string;
  /** Distinguishes a reused pid from the process we saw before (Linux start time in ticks). */
  startTime?: string;
}

export interface ProcessTable {
  /** Processes whose exact name is one of `names` (all processes when names is undefined). */
  list(names?: ReadonlySet<string>): Promise<ProcessInfo[]>;
  /**
   * True while this very process runs: same pid, not a zombie, and (where the table knows start
   * times) the same start time as when it was listed, so a reused pid is never taken for it.
   */
  isAlive(proc: Pick<ProcessInfo, 'pid' | 'startTime'>): Promise<boolean>;
  /** Processes that have `device` open, where the platform lets us see open files (Linux /proc). */
  holdersOf?(device: string, exclude?: ReadonlySet<number>): Promise<HolderScan>;
}

export interface HolderScan {
  holders: ProcessInfo[];
  /** Processes whose open files we may not read (other users', or protected ones of ours). */
  uninspected: number;
}

/** The kernel keeps only 15 characters of a process name in /proc/PID/stat. */
const COMM_LENGTH = 15;
/** Links read between two yields to the event loop during a device scan (a few milliseconds of work). */
const SCAN_SLICE = 256;

export class LinuxProcessTable implements ProcessTable {
  constructor(private readonly procRoot = '/proc') {}

  async list(names?: ReadonlySet<string>): Promise<ProcessInfo[]> {
    const entries = await fs.readdir(this.procRoot);
    const found = await Promise.all(entries.filter((e) => /^\d+$/.test(e)).map((e) => this.read(Number(e), names)));
    return found.filter((p): p is ProcessInfo => p !== undefined);
  }

  async isAlive(proc: Pick<ProcessInfo, 'pid' | 'startTime'>): Promise<boolean> {
    const stat = await this.readStat(proc.pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
    return proc.startTime === undefined || stat.startTime === proc.startTime;
  }

  /**
   * Who has `device` open, found as fuser does: every /proc/PID/fd/* link. A link names the file's
   * path as the kernel sees it; a character device reached by another name (a second devtmpfs
   * mount, a bind mount) is matched by its device number. Processes whose fd folder we may not read
   * (EACCES: other users', unless we are root) are only counted.
   *
   * The links are read synchronously in slices of about SCAN_SLICE links, yielding to the event loop
   * between slices: a desktop has tens of thousands of open files, and one async call per link through
   * libuv's thread pool measured 2-4 times slower than plain readlink calls (about 1,000 links on a
   * 2-core machine under load 11, medians of 15 alternating runs: 111-155 ms against 36-63 ms), and a
   * slice blocks the event loop for a few milliseconds (9-22 ms there, inflated by the load).
   */
  async holdersOf(device: string, exclude: ReadonlySet<number> = new Set()): Promise<HolderScan> {
    const target = await deviceIdentity(device);
    const pids = (await fs.readdir(this.procRoot))
      .filter((e) => /^\d+$/.test(e))
      .map(Number)
      .filter((pid) => !exclude.has(pid));
    const holders: ProcessInfo[] = [];
    let uninspected = 0;
    let sinceYield = 0;
    for (const pid of pids) {
      const holds = this.holds(pid, target);
      sinceYield += holds.links;
      if (holds.result === 'uninspected') uninspected++;
      else if (holds.result) {
        const info = await this.read(pid);
        // Read the links again after the stat: had the pid been reused in between, the process
        // described by `info` must itself hold the device to be reported.
        if (info && this.holds(pid, target).result === true) holders.push(info);
      }
      if (sinceYield >= SCAN_SLICE) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return { holders, uninspected };
  }

  private holds(pid: number, target: DeviceIdentity): { result: boolean | 'uninspected'; links: number } {
    const fdDir = path.join(this.procRoot, String(pid), 'fd');
    let fds: string[];
    try {
      fds = fsSync.readdirSync(fdDir);
    } catch (err) {
      // Gone meanwhile (ENOENT), or a kernel thread / zombie without an fd table: holds nothing.
      const code = (err as NodeJS.ErrnoException).code;
      return { result: code === 'EACCES' || code === 'EPERM' ? 'uninspected' : false, links: 1 };
    }
    for (let i = 0; i < fds.length; i++) {
      if (linkMatches(path.join(fdDir, fds[i]), target)) return { result: true, links: i + 1 };
    }
    return { result: false, links: fds.length + 1 };
  }

  private async read(pid: number, names?: ReadonlySet<string>): Promise<ProcessInfo | undefined> {
    const stat = await this.readStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
    let name = stat.comm;
    if (!names && name.length === COMM_LENGTH) {
      // Cut short by the kernel: argv[0] has the full name when it starts the same way.
      const argv0 = await this.readArgv0(pid);
      if (argv0 && argv0.length > COMM_LENGTH && argv0.startsWith(name)) name = argv0;
    } else if (names && !names.has(name)) {
      // A long name (gvfs-gphoto2-volume-monitor) shows as its first 15 characters: confirm it from argv[0].
      if (name.length < COMM_LENGTH || ![...names].some((n) => n.length > COMM_LENGTH && n.startsWith(name)))
        return undefined;
      const argv0 = await this.readArgv0(pid);
      if (!argv0 || !names.has(argv0)) return undefined;
      name = argv0;
    }
    const uid = await this.readUid(pid);
    if (uid === undefined) return undefined;
    return { pid, ppid: stat.ppid, uid, name, startTime: stat.startTime };
  }

  private async readStat(
    pid: number,
  ): Promise<{ comm: string; state: string; ppid: number; startTime: string } | undefined> {
    let text: string;
    try {
      text = await fs.readFile(path.join(this.procRoot, String(pid), 'stat'), 'utf8');
    } catch {
      return undefined; // gone meanwhile
    }
    // comm may itself contain spaces and parentheses: it runs from the first '(' to the last ')'.
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    if (open < 0 || close < open) return undefined;
    const rest = text.slice(close + 2).split(' ');
    return { comm: text.slice(open + 1, close), state: rest[0], ppid: Number(rest[1]), startTime: rest[19] };
  }

  private async readUid(pid: number): Promise<number | undefined> {
    try {
      const status = await fs.readFile(path.join(this.procRoot, String(pid), 'status'), 'utf8');
      const m = /^Uid:\s+(\d+)/m.exec(status);
      return m ? Number(m[1]) : undefined;
    } catch {
      return undefined;
    }
  }

  private async readArgv0(pid: number): Promise<string | undefined> {
    try {
      const cmdline = await fs.readFile(path.join(this.procRoot, String(pid), 'cmdline'), 'utf8');
      const argv0 = cmdline.split('\0')[0];
      return argv0 ? path.basename(argv0) : undefined;
    } catch {
      return undefined;
    }
  }
}

interface DeviceIdentity {
  /** The path with symlinks resolved, as /proc/PID/fd links show it. */
  realPath: string;
  /** Device number of a character device (a real USB node); undefined for a plain file (the simulator's). */
  rdev?: number;
}

async function deviceIdentity(device: string): Promise<DeviceIdentity> {
  const realPath = await fs.realpath(device);
  const st = await fs.stat(realPath);
  return { realPath, rdev: st.isCharacterDevice() ? st.rdev : undefined };
}

function linkMatches(link: string, target: DeviceIdentity): boolean {
  let to: string;
  try {
    to = fsSync.readlinkSync(link);
  } catch {
    return false; // the fd was closed meanwhile
  }
  if (to === target.realPath) return true;
  // Sockets, pipes and anonymous inodes read as "socket:[123]" and the like: never a device.
  if (target.rdev === undefined || !to.startsWith('/dev/')) return false;
  try {
    const st = fsSync.statSync(link);
    return st.isCharacterDevice() && st.rdev === target.rdev;
  } catch {
    return false;
  }
}

/**
 * macOS and other Unixes: `ps` prints full names (`comm` is the executable path there) and, as
 * `lstart`, the start time (to the second) that tells a reused pid apart.
 */
export class PsProcessTable implements ProcessTable {
  constructor(private readonly runner: ProcessRunner) {}

  async list(names?: ReadonlySet<string>): Promise<ProcessInfo[]> {
    const r = await this.ps(['-A', '-o', 'pid=,ppid=,uid=,stat=,lstart=,comm=']);
    if (r.exitCode !== 0)
      throw new Error(`ps failed (exit ${r.exitCode ?? r.signal ?? r.spawnErrorCode}): ${r.stderr.trim()}`);
    return parsePsOutput(r.stdout).filter((p) => !names || names.has(p.name));
  }

  async isAlive(proc: Pick<ProcessInfo, 'pid' | 'startTime'>): Promise<boolean> {
    try {
      process.kill(proc.pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
    }
    const r = await this.ps(['-o', 'stat=,lstart=', '-p', String(proc.pid)]);
    const m = /^\s*(\S+)\s+(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s*$/.exec(r.stdout);
    if (r.exitCode !== 0 || !m || m[1].startsWith('Z')) return false;
    return proc.startTime === undefined || normaliseSpaces(m[2]) === proc.startTime;
  }

  private ps(args: string[]): Promise<RunResult> {
    // The C locale keeps lstart at five words ("Mon Dec  1 10:00:00 2026") for the parser.
    return this.runner.run('ps', args, { timeoutMs: 5000, graceMs: 500, env: { LC_ALL: 'C', LANG: 'C' } });
  }
}

/** Lines of `ps -o pid=,ppid=,uid=,stat=,lstart=,comm=`; zombies are left out (they hold nothing). */
export function parsePsOutput(stdout: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(.+?)\s*$/.exec(line);
    if (!m || m[4].startsWith('Z')) continue;
    out.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      uid: Number(m[3]),
      name: path.basename(m[6]),
      startTime: normaliseSpaces(m[5]),
    });
  }
  return out;
}

function normaliseSpaces(text: string): string {
  return text.trim().split(/\s+/).join(' ');
}

export function defaultProcessTable(runner: ProcessRunner): ProcessTable {
  return process.platform === 'linux' ? new LinuxProcessTable() : new PsProcessTable(runner);
}
