/**
 * Keeps two extension hosts (two VS Code windows, or a window and a Remote-SSH host) from driving the
 * camera at the same time: a lock file in this user's private folder (see privateDir.ts; each host has
 * its own, and all windows of one user on one host agree on it) holding the owner's pid. A lock whose
 * owner is dead is stale and taken over, together with the staging files a killed owner may have left.
 */
import { randomBytes } from 'crypto';
import * as fsSync from 'fs';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CameraError } from './errors';
import { privateRuntimeDir } from './privateDir';

export interface LockOwner {
  pid: number;
  hostname: string;
  acquiredAt: string;
  /** What the owner says it is, e.g. "VS Code window (workspace foo)". */
  description: string;
}

/** The lock file of the user's private folder (created and checked when called). */
export function defaultLockPath(): string {
  return path.join(privateRuntimeDir(), 'camera.lock');
}

/** Our lock files are a few hundred bytes; anything longer is not ours and is treated as torn. */
const MAX_LOCK_BYTES = 4096;
const O_NOFOLLOW = fsSync.constants.O_NOFOLLOW ?? 0;
const O_NONBLOCK = fsSync.constants.O_NONBLOCK ?? 0;

export class CameraLock {
  private held = false;
  /** The file this instance holds (the default path is resolved at each acquire). */
  private heldPath: string | undefined;

  /** `lockPath` undefined: the user's private folder, resolved (and checked) when the lock is taken. */
  constructor(
    private readonly lockPath?: string,
    private readonly description = 'Camera Tether',
    private readonly pid = process.pid,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Takes the lock or throws `inUse` naming the live owner. Re-entrant for its holder. */
  async acquire(): Promise<void> {
    if (this.held) return;
    const file = this.file();
    const mine: LockOwner = { pid: this.pid, hostname: os.hostname(), acquiredAt: new Date().toISOString(), description: this.description };
    let tookOverStale = false;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.tryCreate(file, mine)) {
        this.held = true;
        this.heldPath = file;
        if (tookOverStale) await removeLeftoversOfDeadOwners(file);
        return;
      }
      const { owner, raw } = await readLock(file);
      if (raw === undefined) continue; // released between our attempt and the read
      if (owner && owner.pid === this.pid) {
        // Ours from before a crash of this same process image (e.g. a reloaded extension): keep it.
        this.held = true;
        this.heldPath = file;
        return;
      }
      if (owner && isAlive(owner.pid)) {
        throw new CameraError('inUse', `The camera is in use by process ${owner.pid} (${owner.description}, since ${owner.acquiredAt}). Close that window or wait until it finishes, then try again.`, { ownerPid: owner.pid });
      }
      await removeStale(file, raw, this.pid);
      tookOverStale = true;
    }
    throw new CameraError('inUse', `Could not take the camera lock ${file}: other windows keep taking it. Try again.`);
  }

  /** Releases the lock if this process holds it. Never removes someone else's lock. */
  async release(): Promise<void> {
    if (!this.held || !this.heldPath) return;
    this.held = false;
    const { owner } = await readLock(this.heldPath);
    if (owner?.pid === this.pid) await fs.rm(this.heldPath, { force: true });
  }

  /** Synchronous release for process exit paths where awaiting is not possible. */
  releaseSync(): void {
    if (!this.held || !this.heldPath) return;
    this.held = false;
    try {
      const owner = parseOwner(fsSync.readFileSync(this.heldPath, 'utf8'));
      if (owner?.pid === this.pid) fsSync.rmSync(this.heldPath, { force: true });
    } catch {
      // already gone
    }
  }

  async currentOwner(): Promise<LockOwner | undefined> {
    return (await readLock(this.file())).owner;
  }

  private file(): string {
    return this.lockPath ?? defaultLockPath();
  }

  /**
   * Creates the lock with its full content in one step (write a private file, then hard-link it to
   * the lock name, which fails if the lock exists), so nobody ever reads a half-written lock. The
   * staging name is random and opened with O_EXCL, so a symlink planted at any name is never followed.
   */
  private async tryCreate(file: string, owner: LockOwner): Promise<boolean> {
    const staging = `${file}.${this.pid}.${randomBytes(8).toString('hex')}.tmp`;
    let created = false;
    try {
      const handle = await fs.open(staging, 'wx', 0o600);
      created = true;
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      await fs.link(staging, file);
      return true;
    } catch (err) {
      if (created && (err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new CameraError('io', `Cannot create the camera lock file ${file}: ${(err as Error).message}. Check that its folder is writable.`, { cause: err }, ['showLog']);
    } finally {
      if (created) await fs.rm(staging, { force: true });
    }
  }
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

/**
 * Removes a stale lock without ever removing a fresh one another window wrote meanwhile: move it
 * aside atomically (to a random name), check that what was moved is the stale content, and put it
 * back otherwise.
 */
async function removeStale(file: string, staleRaw: string, pid: number): Promise<void> {
  const aside = `${file}.stale-${pid}-${randomBytes(8).toString('hex')}`;
  try {
    await fs.rename(file, aside);
  } catch {
    return; // someone else moved or removed it first; try again from the top
  }
  const moved = await readLock(aside);
  // We moved a live lock: restore it unless yet another lock appeared (link never overwrites).
  if (moved.raw !== staleRaw) await fs.link(aside, file).catch(() => undefined);
  await fs.rm(aside, { force: true }).catch(() => undefined); // a planted directory is left, harmless
}

/**
 * A window killed between writing its staging file and removing it (or while moving a stale lock
 * aside) leaves `<lock>.<pid>.<random>.tmp` or `<lock>.stale-<pid>-<random>` behind. Files of pids
 * that still exist are left alone: they may be mid-write.
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
    if (pid > 0 && !isAlive(pid)) await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
  }
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    if (typeof value === 'object' && value !== null && typeof (value as LockOwner).pid === 'number') {
      const v = value as Partial<LockOwner>;
      return { pid: v.pid as number, hostname: String(v.hostname ?? ''), acquiredAt: String(v.acquiredAt ?? ''), description: String(v.description ?? 'another window') };
    }
  } catch {
    // a torn or foreign file: treated as stale
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
