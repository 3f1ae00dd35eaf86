/**
 * Who made a staging folder, and whether that owner is provably gone. The owner is written into the
 * folder's NAME (a file inside would look like a download to the capture that uses the folder):
 * `<pid>-<start time>-<boot id>-<host>-<seq>-XXXXXX`. A pid alone is not enough: pids are reused,
 * and an output folder on a network share or reached over Remote-SSH is also used by windows on
 * other machines, whose pids mean nothing here.
 */
import { createHash } from 'crypto';
import { promises as fs, readFileSync, readlinkSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bootId } from '../camera/processIdentity';

export interface OwnerIdentity {
  pid: number;
  /** Linux: the process start time in clock ticks after boot (/proc/PID/stat field 22); '' unknown. */
  startTime: string;
  /** The first 8 hex digits of the kernel's boot id; '' unknown. */
  bootId: string;
  /** 8 hex digits of sha256(hostname + pid namespace): which pids this owner's pid is comparable with. */
  host: string;
}

export type ParsedStagingName =
  | { format: 'owner'; owner: OwnerIdentity; tag: string }
  /** Before owners were named: `<pid>-<seq>-XXXXXX`; the host is unknown. */
  | { format: 'pidOnly'; pid: number };

const UNKNOWN = 'x';
// mkdtemp appends six characters from [A-Za-z0-9].
const OWNER_NAME = /^(\d+)-(\d+|x)-([0-9a-f]{8}|x)-([0-9a-f]{8})-(r?\d+)-[A-Za-z0-9]{6}$/;
const PID_ONLY_NAME = /^(\d+)-(\d+)-[A-Za-z0-9]{6}$/;

let self: OwnerIdentity | undefined;

/** This process, as it names its staging folders (read once). */
export function ownIdentity(): OwnerIdentity {
  self ??= {
    pid: process.pid,
    startTime: readStat(String(process.pid))?.startTime ?? '',
    bootId: readBootId(),
    host: hostHash(os.hostname(), readPidNamespace()),
  };
  return self;
}

/** The mkdtemp prefix of a staging folder: `tag` is the folder's sequence number (or `r<n>` for a claimed orphan). */
export function stagingPrefix(owner: OwnerIdentity, tag: string | number): string {
  return `${owner.pid}-${owner.startTime || UNKNOWN}-${owner.bootId || UNKNOWN}-${owner.host}-${tag}-`;
}

export function parseStagingName(name: string): ParsedStagingName | undefined {
  const m = OWNER_NAME.exec(name);
  if (m) {
    return {
      format: 'owner',
      owner: {
        pid: Number(m[1]),
        startTime: m[2] === UNKNOWN ? '' : m[2],
        bootId: m[3] === UNKNOWN ? '' : m[3],
        host: m[4],
      },
      tag: m[5],
    };
  }
  const old = PID_ONLY_NAME.exec(name);
  return old ? { format: 'pidOnly', pid: Number(old[1]) } : undefined;
}

export type OwnerVerdict =
  | { state: 'alive'; reason: string }
  | { state: 'gone'; reason: string }
  /** Made on another machine (or in another pid namespace): nothing here can tell whether it is alive. */
  | { state: 'otherHost'; reason: string };

/** What a pid is on this host right now. */
export interface PidProbe {
  (pid: number): Promise<{ exists: boolean; startTime?: string; zombie?: boolean }>;
}

export const probePid: PidProbe = async (pid) => {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return { exists: false };
  }
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').then(parseStat, () => undefined);
  // No /proc (macOS), or hidden by hidepid: it exists, its start time is unknown.
  if (!stat) return { exists: true };
  return { exists: true, startTime: stat.startTime, zombie: stat.state === 'Z' || stat.state === 'X' };
};

/**
 * Gone only when provably so ON THIS HOST: the pid does not exist or is a zombie, or it exists with
 * another start time (reused), or the folder was made in an earlier boot. Unknown means alive.
 */
export async function judgeOwner(
  parsed: ParsedStagingName,
  me: OwnerIdentity = ownIdentity(),
  probe: PidProbe = probePid,
): Promise<OwnerVerdict> {
  if (parsed.format === 'owner') {
    const o = parsed.owner;
    if (o.host !== me.host)
      return { state: 'otherHost', reason: `made on another machine (host ${o.host}, this is ${me.host})` };
    if (o.bootId && me.bootId && o.bootId !== me.bootId)
      return { state: 'gone', reason: `process ${o.pid} ran before this machine last started` };
  }
  const pid = parsed.format === 'owner' ? parsed.owner.pid : parsed.pid;
  const p = await probe(pid);
  if (!p.exists) return { state: 'gone', reason: `process ${pid} no longer exists` };
  if (p.zombie) return { state: 'gone', reason: `process ${pid} has exited` };
  if (parsed.format === 'owner' && parsed.owner.startTime && p.startTime && p.startTime !== parsed.owner.startTime) {
    return { state: 'gone', reason: `process ${pid} exited and its number was reused by another process` };
  }
  return { state: 'alive', reason: `process ${pid} is still running` };
}

/**
 * Processes that have their working folder, or an open file, inside one of `folders` (Linux; elsewhere
 * none can be seen). A gphoto2 started by a window that crashed outlives it and may still be
 * writing: its folder is recovered only once it has ended (Cleanup stops it).
 */
export async function processesUsing(
  folders: readonly string[],
  procRoot = '/proc',
): Promise<Map<string, { pid: number; name: string }[]>> {
  const found = new Map<string, { pid: number; name: string }[]>();
  if (folders.length === 0) return found;
  const roots = folders.map((f) => path.resolve(f));
  const within = (target: string): string | undefined =>
    roots.find((r) => target === r || target.startsWith(r + path.sep));
  const pids = await fs.readdir(procRoot).then(
    (names) => names.filter((n) => /^\d+$/.test(n)),
    () => [] as string[],
  );
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    const targets: string[] = [];
    const cwd = await fs.readlink(path.join(procRoot, pid, 'cwd')).catch(() => undefined);
    if (cwd) targets.push(cwd);
    const fds = await fs.readdir(path.join(procRoot, pid, 'fd')).catch(() => [] as string[]);
    for (const fd of fds) {
      const t = await fs.readlink(path.join(procRoot, pid, 'fd', fd)).catch(() => undefined);
      if (t?.startsWith('/')) targets.push(t.replace(/ \(deleted\)$/, ''));
    }
    const hits = new Set(targets.map(within).filter((r): r is string => r !== undefined));
    if (hits.size === 0) continue;
    const name = await fs.readFile(path.join(procRoot, pid, 'comm'), 'utf8').then(
      (t) => t.trim(),
      () => '?',
    );
    for (const r of hits) found.set(r, [...(found.get(r) ?? []), { pid: Number(pid), name }]);
  }
  return found;
}

export function hostHash(hostname: string, pidNamespace: string): string {
  return createHash('sha256').update(`${hostname}\0${pidNamespace}`).digest('hex').slice(0, 8);
}

/** Reads /proc/PID/stat synchronously (once, for this process). */
function readStat(pid: string): { state: string; startTime: string } | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

function parseStat(text: string): { state: string; startTime: string } | undefined {
  // comm may contain spaces and parentheses: it ends at the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const rest = text.slice(close + 2).split(' ');
  return rest[19] && /^\d+$/.test(rest[19]) ? { state: rest[0], startTime: rest[19] } : undefined;
}

function readBootId(): string {
  const id = (bootId() ?? '').replace(/[^0-9a-f]/gi, '').toLowerCase();
  return id.length >= 8 ? id.slice(0, 8) : '';
}

/** Containers sharing a hostname (and a bind-mounted output folder) still have their own pids. */
function readPidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
}
