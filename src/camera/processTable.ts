/**
 * Reads the process table: which processes exist, their exact names and owners. On Linux it reads
 * /proc directly (no child process, a few milliseconds); elsewhere it asks `ps`.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { ProcessRunner } from './processRunner';

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
  /** False once the process has exited (a zombie counts as exited: it holds no device). */
  isAlive(proc: Pick<ProcessInfo, 'pid' | 'startTime'>): Promise<boolean>;
}

/** The kernel keeps only 15 characters of a process name in /proc/PID/stat. */
const COMM_LENGTH = 15;

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

  private async read(pid: number, names?: ReadonlySet<string>): Promise<ProcessInfo | undefined> {
    const stat = await this.readStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
    let name = stat.comm;
    if (names && !names.has(name)) {
      // A long name (gvfs-gphoto2-volume-monitor) shows as its first 15 characters: confirm it from argv[0].
      if (name.length < COMM_LENGTH || ![...names].some((n) => n.length > COMM_LENGTH && n.startsWith(name))) return undefined;
      const argv0 = await this.readArgv0(pid);
      if (!argv0 || !names.has(argv0)) return undefined;
      name = argv0;
    }
    const uid = await this.readUid(pid);
    if (uid === undefined) return undefined;
    return { pid, ppid: stat.ppid, uid, name, startTime: stat.startTime };
  }

  private async readStat(pid: number): Promise<{ comm: string; state: string; ppid: number; startTime: string } | undefined> {
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

/** macOS and other Unixes: `ps` prints full names (`comm` is the executable path there). */
export class PsProcessTable implements ProcessTable {
  constructor(private readonly runner: ProcessRunner) {}

  async list(names?: ReadonlySet<string>): Promise<ProcessInfo[]> {
    const r = await this.runner.run('ps', ['-A', '-o', 'pid=,ppid=,uid=,stat=,comm='], { timeoutMs: 5000, graceMs: 500 });
    if (r.exitCode !== 0) throw new Error(`ps failed (exit ${r.exitCode ?? r.signal ?? r.spawnErrorCode}): ${r.stderr.trim()}`);
    return parsePsOutput(r.stdout).filter((p) => !names || names.has(p.name));
  }

  async isAlive(proc: Pick<ProcessInfo, 'pid'>): Promise<boolean> {
    try {
      process.kill(proc.pid, 0);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    const r = await this.runner.run('ps', ['-o', 'stat=', '-p', String(proc.pid)], { timeoutMs: 5000, graceMs: 500 });
    return r.exitCode === 0 && !r.stdout.trim().startsWith('Z');
  }
}

export function parsePsOutput(stdout: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (!m || m[4].startsWith('Z')) continue;
    out.push({ pid: Number(m[1]), ppid: Number(m[2]), uid: Number(m[3]), name: path.basename(m[5]) });
  }
  return out;
}

export function defaultProcessTable(runner: ProcessRunner): ProcessTable {
  return process.platform === 'linux' ? new LinuxProcessTable() : new PsProcessTable(runner);
}
