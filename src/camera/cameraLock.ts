/**
 * Keeps two extension hosts (two VS Code windows, or a window and a Remote-SSH host) from driving the
 * camera at the same time: a lock file in this user's private folder (see privateDir.ts; each host has
 * its own, and all windows of one user on one host agree on it) naming the owner by pid, process start
 * time, host and boot id. A lock whose owner is gone (dead pid, pid reused by another process, another
 * boot) is stale and taken over silently, together with the staging files a killed owner may have left.
 * A lock that cannot be checked from here (another host, no start time to compare) is reported with a
 * Take Over action; taking over a live window's lock is the user's explicit, confirmed choice.
 */
import { randomBytes } from 'crypto';
import * as fsSync from 'fs';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CameraError } from './errors';
import { privateRuntimeDir } from './privateDir';
import { bootId, pidExists, processStartTime } from './processIdentity';

export interface LockOwner {
  pid: number;
  /** Kernel start time of `pid` (field 22 of /proc/<pid>/stat): tells the owner from a process that reused its pid. */
  startTime?: string;
  /** /proc/sys/kernel/random/boot_id: a lock from an earlier boot is stale whatever its pid. */
  bootId?: string;
  hostname: string;
  acquiredAt: string;
  /** What the owner says it is, e.g. "VS Code window (workspace foo)". Untrusted: show through describeOwner. */
  description: string;
  /** Random per acquisition, so a holder never mistakes a later lock (its own pid's included) for its own. */
  token?: string;
}

/**
 * How a lock found on disk relates to us: ours; held by a live process we could identify; held by a
 * live pid whose identity cannot be confirmed (no start time); held on another host (cannot be
 * checked from here); or stale (owner gone).
 */
export type LockVerdict = 'mine' | 'live' | 'unverifiable' | 'otherHost' | 'stale';

/** The lock file of the user's private folder (created and checked when called). */
export function defaultLockPath(): string {
  return path.join(privateRuntimeDir(), 'camera.lock');
}

/** Our lock files are a few hundred bytes; anything longer is not ours and is treated as torn. */
const MAX_LOCK_BYTES = 4096;
const MAX_OWN_DESCRIPTION = 200;
const O_NOFOLLOW = fsSync.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fsSync.constants.O_NONBLOCK ?? 0;

export class CameraLock {
  private held = false;
  /** The file this instance holds (the default path is resolved at each acquire). */
  private heldPath: string | undefined;
  private token: string | undefined;

  /** `lockPath` undefined: the user's private folder, resolved (and checked) when the lock is taken. */
  constructor(
    private readonly lockPath?: string,
    private readonly description = 'Camera Tether',
    private readonly pid = process.pid,
  ) {}

  /** Whether this instance holds the lock now (another window may have taken it over since). */
  get isHeld(): boolean {
    if (!this.held || !this.heldPath) return false;
    try {
      return parseOwner(fsSync.readFileSync(this.heldPath, 'utf8'))?.token === this.token;
    } catch {
      return false;
    }
  }

  /**
   * Takes the lock or throws `inUse` naming the owner (with the takeOver action when the owner cannot
   * be checked). Re-entrant for its holder; a holder whose lock was taken over meanwhile loses it here.
   */
  async acquire(): Promise<void> {
    const file = this.file();
    if (await this.stillHeld(file)) return;
    let tookOverStale = false;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.tryCreate(file)) {
        if (tookOverStale) await removeLeftoversOfDeadOwners(file);
        return;
      }
      const { owner, raw } = await readLock(file);
      if (raw === undefined) continue; // released between our attempt and the read
      const verdict = judge(owner, this.pid);
      if (verdict === 'mine' && owner) {
        // Ours from before a crash of this same process image (e.g. a reloaded extension): keep it.
        this.adopt(file, owner);
        return;
      }
      if (verdict === 'stale') {
        await removeAside(file, raw, this.pid);
        tookOverStale = true;
        continue;
      }
      throw inUseError(owner as LockOwner, verdict);
    }
    throw new CameraError('inUse', `Could not take the camera lock ${file}: other windows keep taking it. Try again.`);
  }

  /**
   * Takes the lock from whoever holds it, after the user confirmed. `seen` is the owner the user was
   * shown: if the lock changed since, nothing is taken and `inUse` names the new owner. Race-safe like
   * a stale takeover: the lock is moved aside and checked before it is dropped, so a lock another
   * window wrote meanwhile is put back. Returns the displaced owner (undefined if there was none).
   * The old owner's release() then leaves our lock alone (it compares its token).
   */
  async takeOver(seen?: LockOwner): Promise<LockOwner | undefined> {
    const file = this.file();
    if (await this.stillHeld(file)) return undefined;
    let displaced: LockOwner | undefined;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.tryCreate(file)) {
        await removeLeftoversOfDeadOwners(file);
        return displaced;
      }
      const { owner, raw } = await readLock(file);
      if (raw === undefined) continue;
      const verdict = judge(owner, this.pid);
      if (verdict === 'mine' && owner) {
        this.adopt(file, owner);
        return displaced;
      }
      if (verdict !== 'stale' && seen && !(owner && sameOwner(owner, seen))) {
        throw new CameraError(
          'inUse',
          `The camera lock changed while you were deciding, so nothing was taken over: ${describeOwner(owner as LockOwner)} holds it now. Try again if you still want to take it over.`,
          { ownerPid: owner?.pid },
          ['takeOver', 'retry', 'showLog'],
        );
      }
      if (await removeAside(file, raw, this.pid)) displaced = owner;
    }
    throw new CameraError(
      'inUse',
      `Could not take over the camera lock ${file}: other windows keep taking it. Try again.`,
    );
  }

  /** Releases the lock if this instance holds it. Never removes someone else's lock (or a later one of ours). */
  async release(): Promise<void> {
    if (!this.held || !this.heldPath) return;
    const file = this.heldPath;
    this.held = false;
    const { owner, raw } = await readLock(file);
    if (raw !== undefined && owner?.token === this.token) await removeAside(file, raw, this.pid);
  }

  async currentOwner(): Promise<LockOwner | undefined> {
    return (await readLock(this.file())).owner;
  }

  /** Who holds the lock and what we make of it, for a confirmation before takeOver(). */
  async inspect(): Promise<{ owner?: LockOwner; verdict?: LockVerdict; file: string }> {
    const file = this.file();
    const { owner, raw } = await readLock(file);
    if (raw === undefined) return { file };
    const verdict =
      owner?.token !== undefined && owner.token === this.token && this.held ? 'mine' : judge(owner, this.pid);
    return { owner, verdict, file };
  }

  private file(): string {
    return this.lockPath ?? defaultLockPath();
  }

  /** Re-entrancy with a check: another window's Take Over ends our hold. */
  private async stillHeld(file: string): Promise<boolean> {
    if (!this.held) return false;
    if (this.heldPath === file && (await readLock(file)).owner?.token === this.token) return true;
    this.held = false;
    return false;
  }

  private adopt(file: string, owner: LockOwner): void {
    this.held = true;
    this.heldPath = file;
    this.token = owner.token;
  }

  /**
   * Creates the lock with its full content in one step (write a private file, then hard-link it to
   * the lock name, which fails if the lock exists), so nobody ever reads a half-written lock. The
   * staging name is random and opened with O_EXCL, so a symlink planted at any name is never followed.
   */
  private async tryCreate(file: string): Promise<boolean> {
    const token = randomBytes(16).toString('hex');
    const me: LockOwner = {
      pid: this.pid,
      startTime: processStartTime(this.pid),
      bootId: bootId(),
      hostname: os.hostname(),
      acquiredAt: new Date().toISOString(),
      description: this.description.slice(0, MAX_OWN_DESCRIPTION),
      token,
    };
    const staging = `${file}.${this.pid}.${randomBytes(8).toString('hex')}.tmp`;
    let created = false;
    try {
      const handle = await fs.open(staging, 'wx', 0o600);
      created = true;
      try {
        await handle.writeFile(JSON.stringify(me));
      } finally {
        await handle.close();
      }
      await fs.link(staging, file);
      this.adopt(file, me);
      return true;
    } catch (err) {
      if (created && (err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new CameraError(
        'io',
        `Cannot create the camera lock file ${file}: ${(err as Error).message}. Check that its folder is writable.`,
        { cause: err },
        ['showLog'],
      );
    } finally {
      if (created) await fs.rm(staging, { force: true });
    }
  }
}

/** What we make of a lock's owner; see LockVerdict. `self` is the pid of the asking lock. */
export function judge(owner: LockOwner | undefined, self: number): LockVerdict {
  if (!owner) return 'stale'; // a torn or foreign file
  const boot = bootId();
  // A boot id is unique to one boot of one machine: equal means here and now, whatever the host name
  // says (it may have changed since). Otherwise another host name means another machine (a shared
  // network folder), whose processes cannot be checked from here.
  const sameBoot = owner.bootId !== undefined && owner.bootId === boot;
  if (!sameBoot && owner.hostname !== os.hostname()) return 'otherHost';
  if (owner.bootId !== undefined && boot !== undefined && !sameBoot) return 'stale'; // an earlier boot
  if (!pidExists(owner.pid)) return 'stale';
  const now = processStartTime(owner.pid);
  // Same pid, another start time: the owner died and the pid was reused.
  if (owner.startTime !== undefined && now !== undefined && owner.startTime !== now) return 'stale';
  if (owner.pid === self) return 'mine';
  return owner.startTime !== undefined && now !== undefined ? 'live' : 'unverifiable';
}

/**
 * Text from a lock file (another process wrote it, maybe a hostile one), made safe to show: control
 * characters and bidirectional/invisible formatting removed, whitespace collapsed, at most `max`
 * characters.
 */
export function sanitizeForDisplay(text: string, max = 80): string {
  const cleaned = text
    // C0/C1 controls, line/paragraph separators: become spaces (they separate words). Matching
    // control characters is the point here.
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
    // Bidi marks, embeddings, overrides and isolates; zero-width characters; BOM; interlinear annotations.
    .replace(/[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = Array.from(cleaned);
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : cleaned;
}

/** The owner as one safe line: "process 123 (VS Code window "x", since 2025-…)". */
export function describeOwner(owner: LockOwner): string {
  const description = sanitizeForDisplay(owner.description) || 'another window';
  const since = sanitizeForDisplay(owner.acquiredAt, 40);
  return `process ${owner.pid} (${description}${since ? `, since ${since}` : ''})`;
}

function inUseError(owner: LockOwner, verdict: LockVerdict): CameraError {
  const who = describeOwner(owner);
  switch (verdict) {
    case 'otherHost':
      return new CameraError(
        'inUse',
        `The camera lock is held by ${who} on another computer, "${sanitizeForDisplay(owner.hostname, 64)}", which Camera Tether cannot check from here. If that window is closed, choose Take Over.`,
        { ownerPid: owner.pid },
        ['takeOver', 'retry', 'showLog'],
      );
    case 'unverifiable':
      return new CameraError(
        'inUse',
        `The camera is in use by ${who}, but Camera Tether cannot confirm that this process is still that window. Close that window or wait until it finishes; if it is gone, choose Take Over.`,
        { ownerPid: owner.pid },
        ['takeOver', 'retry', 'showLog'],
      );
    default:
      return new CameraError(
        'inUse',
        `The camera is in use by ${who}. Close that window or wait until it finishes, then try again.`,
        { ownerPid: owner.pid },
      );
  }
}

function sameOwner(a: LockOwner, b: LockOwner): boolean {
  return (
    a.pid === b.pid &&
    a.token === b.token &&
    a.startTime === b.startTime &&
    a.hostname === b.hostname &&
    a.acquiredAt === b.acquiredAt
  );
}

/**
 * Reads a lock without following a symlink or blocking on a FIFO planted at its name, and at most
 * MAX_LOCK_BYTES of it: anything odd reads as a torn lock (raw set, owner undefined), which is stale.
 */
async function readLock(file: string): Promise<{ owner?: LockOwner; raw?: string }> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, fsSync.constants.O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? {} : { raw: `unreadable lock: ${String(code)}` };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { raw: 'not a file' };
    const buffer = Buffer.alloc(MAX_LOCK_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_LOCK_BYTES) return { raw: 'oversized lock' };
    const raw = buffer.subarray(0, bytesRead).toString('utf8');
    return { owner: parseOwner(raw), raw };
  } catch {
    return {};
  } finally {
    await handle.close();
  }
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value !== 'object' || value === null) return undefined;
    const v = value as Record<string, unknown>;
    if (typeof v.pid !== 'number' || !Number.isSafeInteger(v.pid) || v.pid <= 0) return undefined;
    const text = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);
    return {
      pid: v.pid,
      startTime: text(v.startTime),
      bootId: text(v.bootId),
      hostname: text(v.hostname) ?? '',
      acquiredAt: text(v.acquiredAt) ?? '',
      description: text(v.description) ?? 'another window',
      token: text(v.token),
    };
  } catch {
    return undefined; // a torn or foreign file: treated as stale
  }
}

/**
 * Removes a lock without ever removing one another window wrote meanwhile: move it aside atomically
 * (to a random name), check that what was moved is the content we judged, and put it back otherwise.
 * True if the judged lock was removed.
 */
async function removeAside(file: string, judgedRaw: string, pid: number): Promise<boolean> {
  const aside = `${file}.stale-${pid}-${randomBytes(8).toString('hex')}`;
  try {
    await fs.rename(file, aside);
  } catch {
    return false; // someone else moved or removed it first; try again from the top
  }
  const moved = await readLock(aside);
  const same = moved.raw === judgedRaw;
  // We moved another lock: restore it unless yet another lock appeared (link never overwrites).
  if (!same) await fs.link(aside, file).catch(() => undefined);
  await fs.rm(aside, { force: true }).catch(() => undefined); // a planted directory is left, harmless
  return same;
}

/**
 * A window killed between writing its staging file and removing it (or while moving a lock aside)
 * leaves `<lock>.<pid>.<random>.tmp` or `<lock>.stale-<pid>-<random>` behind. Files of pids that
 * still exist are left alone: they may be mid-write.
 */
async function removeLeftoversOfDeadOwners(file: string): Promise<void> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(`${base}.`)) continue;
    const m = /^\.(?:(\d+)\.[0-9a-f]+\.tmp|stale-(\d+)-[0-9a-f]+)$/.exec(name.slice(base.length));
    const pid = m ? Number(m[1] ?? m[2]) : 0;
    // In a shared folder another user's leftovers cannot be removed (sticky bit); that is theirs to clean.
    if (pid > 0 && !pidExists(pid)) await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
  }
}
