/**
 * The simulated USB claim: one process at a time may hold the camera, like libusb's interface claim.
 *
 * `device.lock` holds "pid starttime". It is created exclusively (a complete temp file hard-linked
 * into place, so nobody ever reads a half-written lock). A lock whose process is gone is stale (the
 * kernel releases a dead process's claim) and is taken over. The takeover itself is serialised by
 * claiming `device.lock.takeover-<deadpid>` the same way, so of two simulators that find the same
 * stale lock only one removes it, and the other re-checks and finds the winner's live lock.
 * A process killed between linking its temp file and removing it leaves that temp file behind; the
 * takeover winner sweeps such leftovers of dead pids so the folder does not fill with litter.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { pidExists, processStartTime } from '../../camera/processIdentity';

export interface LockOwner {
  pid: number;
  /** Kernel start time of the process (Linux /proc), to tell a dead owner from a reused pid. */
  start?: string;
}

export type LockResult = { ok: true; lock: DeviceLock } | { ok: false; holder: LockOwner };

export class DeviceLock {
  private released = false;

  constructor(readonly file: string) {}

  /** Idempotent, synchronous (safe in an 'exit' handler); removes the file only while it is ours. */
  release(): void {
    if (this.released) return;
    this.released = true;
    removeIfOwnedBy(this.file, process.pid);
  }
}

export function lockFile(dir: string): string {
  return path.join(dir, 'device.lock');
}

export function acquireDeviceLock(dir: string): LockResult {
  const file = lockFile(dir);
  const result = claim(file, 0);
  return result.ok ? { ok: true, lock: new DeviceLock(file) } : result;
}

type ClaimResult = { ok: true } | { ok: false; holder: LockOwner };

const MAX_TAKEOVER_DEPTH = 4;
const MAX_ATTEMPTS = 50;
const RACE_DELAY_MS = Number(process.env.CAMERA_TETHER_SIM_LOCK_RACE_MS) || 0;

function claim(file: string, depth: number): ClaimResult {
  const me: LockOwner = { pid: process.pid, start: processStartTime(process.pid) };
  let lastHolder: LockOwner = me;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (createExclusive(file, me)) return { ok: true };
    const holder = readOwner(file);
    if (!holder) {
      pause(1); // released between our attempt and the read, or still being written: try again
      continue;
    }
    lastHolder = holder;
    if (isAlive(holder)) return { ok: false, holder };
    if (depth >= MAX_TAKEOVER_DEPTH) return { ok: false, holder };
    // Test hook: widen the window between seeing a stale lock and acting on it, so tests can
    // prove that simultaneous takeovers still leave exactly one owner.
    if (depth === 0 && RACE_DELAY_MS > 0) pause(RACE_DELAY_MS);
    const takeover = `${file}.takeover-${holder.pid}`;
    const t = claim(takeover, depth + 1);
    if (!t.ok) {
      // Another live process is taking this stale lock over right now; it finishes in microseconds.
      pause(2);
      continue;
    }
    try {
      // Only the takeover holder may remove a lock owned by this dead pid, so check-then-unlink is safe.
      const again = readOwner(file);
      if (again && again.pid === holder.pid && again.start === holder.start) {
        fs.rmSync(file, { force: true });
        removeDeadTempFiles(file);
      }
    } finally {
      removeIfOwnedBy(takeover, process.pid);
    }
  }
  return { ok: false, holder: lastHolder };
}

/** Temp files of `file` (and of its takeover files) whose writer pid no longer exists. */
function removeDeadTempFiles(file: string): void {
  const dir = path.dirname(file);
  const base = path.basename(file);
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(base) || !name.endsWith('.tmp')) continue;
    const m = /\.(\d+)\.[a-z0-9]*\.tmp$/.exec(name);
    // Any process with this pid may be writing it right now (pid reuse included): leave it alone.
    if (m && !pidExists(Number(m[1]))) fs.rmSync(path.join(dir, name), { force: true });
  }
}

function createExclusive(file: string, owner: LockOwner): boolean {
  // A random name opened with O_EXCL: a symlink planted at a guessable name is never followed.
  const tmp = `${file}.${owner.pid}.${randomBytes(8).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, `${owner.pid}${owner.start ? ` ${owner.start}` : ''}\n`, { flag: 'wx', mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') return createWithOpenWx(file, owner);
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** For filesystems without hard links: O_CREAT|O_EXCL, accepting a brief window where the file is empty. */
function createWithOpenWx(file: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, `${owner.pid}${owner.start ? ` ${owner.start}` : ''}\n`);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

export function readOwner(file: string): LockOwner | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  if (text.trim() === '') {
    // Only the open('wx') fallback has this window; an empty lock that stays empty is a dead creator's.
    return isOlderThan(file, 1000) ? { pid: 0 } : undefined;
  }
  const m = /^\s*(\d+)(?:\s+(\S+))?/.exec(text);
  if (!m) return { pid: 0 }; // garbage in the lock: nobody alive owns it
  return m[2] ? { pid: Number(m[1]), start: m[2] } : { pid: Number(m[1]) };
}

export function isAlive(owner: LockOwner): boolean {
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  if (!pidExists(owner.pid)) return false;
  // Same pid but another start time: the owner died and the pid was reused.
  if (owner.start !== undefined) {
    const now = processStartTime(owner.pid);
    if (now !== undefined && now !== owner.start) return false;
  }
  return true;
}

function isOlderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs > ms;
  } catch {
    return false;
  }
}

function removeIfOwnedBy(file: string, pid: number): void {
  const owner = readOwner(file);
  if (owner?.pid === pid) fs.rmSync(file, { force: true });
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
