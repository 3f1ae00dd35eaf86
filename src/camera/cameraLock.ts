/**
 * Keeps two extension hosts (two VS Code windows, or a window and a Remote-SSH host) from driving the
 * camera at the same time: a lock file in the OS temp folder holding the owner's pid. A lock whose
 * owner is dead is stale and taken over, together with the staging files a killed owner may have left.
 */
import * as fsSync from 'fs';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CameraError } from './errors';

export interface LockOwner {
  pid: number;
  hostname: string;
  acquiredAt: string;
  /** What the owner says it is, e.g. "VS Code window (workspace foo)". */
  description: string;
}

export function defaultLockPath(): string {
  return path.join(os.tmpdir(), 'camera-tether.lock');
}

export class CameraLock {
  private held = false;

  constructor(
    readonly lockPath: string = defaultLockPath(),
    private readonly description = 'Camera Tether',
    private readonly pid = process.pid,
  ) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Takes the lock or throws `inUse` naming the live owner. Re-entrant for its holder. */
  async acquire(): Promise<void> {
    if (this.held) return;
    const mine: LockOwner = { pid: this.pid, hostname: os.hostname(), acquiredAt: new Date().toISOString(), description: this.description };
    let tookOverStale = false;
    for (let attempt = 0; attempt < 5; attempt++) {
      if (await this.tryCreate(mine)) {
        this.held = true;
        if (tookOverStale) await this.removeLeftoversOfDeadOwners();
        return;
      }
      const { owner, raw } = await this.readOwner();
      if (owner && owner.pid === this.pid) {
        // Ours from before a crash of this same process image (e.g. a reloaded extension): keep it.
        this.held = true;
        return;
      }
      if (owner && isAlive(owner.pid)) {
        throw new CameraError('inUse', `The camera is in use by process ${owner.pid} (${owner.description}, since ${owner.acquiredAt}). Close that window or wait until it finishes, then try again.`, { ownerPid: owner.pid });
      }
      await this.removeStale(raw);
      tookOverStale = true;
    }
    throw new CameraError('inUse', `Could not take the camera lock ${this.lockPath}: other windows keep taking it. Try again.`);
  }

  /** Releases the lock if this process holds it. Never removes someone else's lock. */
  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    const { owner } = await this.readOwner();
    if (owner?.pid === this.pid) await fs.rm(this.lockPath, { force: true });
  }

  /** Synchronous release for process exit paths where awaiting is not possible. */
  releaseSync(): void {
    if (!this.held) return;
    this.held = false;
    try {
      const owner = parseOwner(fsSync.readFileSync(this.lockPath, 'utf8'));
      if (owner?.pid === this.pid) fsSync.rmSync(this.lockPath, { force: true });
    } catch {
      // already gone
    }
  }

  async currentOwner(): Promise<LockOwner | undefined> {
    return (await this.readOwner()).owner;
  }

  /**
   * Creates the lock with its full content in one step (write a private file, then hard-link it to
   * the lock name, which fails if the lock exists), so nobody ever reads a half-written lock.
   */
  private async tryCreate(owner: LockOwner): Promise<boolean> {
    const staging = `${this.lockPath}.${this.pid}.${Date.now()}.tmp`;
    try {
      await fs.writeFile(staging, JSON.stringify(owner), { mode: 0o644 });
      await fs.link(staging, this.lockPath);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new CameraError('io', `Cannot create the camera lock file ${this.lockPath}: ${(err as Error).message}. Check that the temp folder is writable.`, { cause: err }, ['showLog']);
    } finally {
      await fs.rm(staging, { force: true });
    }
  }

  private async readOwner(): Promise<{ owner?: LockOwner; raw?: string }> {
    try {
      const raw = await fs.readFile(this.lockPath, 'utf8');
      return { owner: parseOwner(raw), raw };
    } catch {
      return {};
    }
  }

  /**
   * Removes a stale lock without ever removing a fresh one another window wrote meanwhile: move it
   * aside atomically, check that what was moved is the stale content, and put it back otherwise.
   */
  private async removeStale(staleRaw: string | undefined): Promise<void> {
    const aside = `${this.lockPath}.stale-${this.pid}-${Date.now()}`;
    try {
      await fs.rename(this.lockPath, aside);
    } catch {
      return; // someone else moved or removed it first; try again from the top
    }
    const moved = await fs.readFile(aside, 'utf8').catch(() => undefined);
    if (staleRaw !== undefined && moved !== staleRaw) {
      // We moved a live lock: restore it unless yet another lock appeared (link never overwrites).
      await fs.link(aside, this.lockPath).catch(() => undefined);
    }
    await fs.rm(aside, { force: true });
  }

  /**
   * A window killed between writing its staging file and removing it (or while moving a stale lock
   * aside) leaves `<lock>.<pid>.<time>.tmp` or `<lock>.stale-<pid>-<time>` in the shared temp folder.
   * Files of pids that still exist are left alone: they may be mid-write.
   */
  private async removeLeftoversOfDeadOwners(): Promise<void> {
    const dir = path.dirname(this.lockPath);
    const base = path.basename(this.lockPath);
    const names = await fs.readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.startsWith(`${base}.`)) continue;
      const m = /^\.(?:(\d+)\.\d+\.tmp|stale-(\d+)-\d+)$/.exec(name.slice(base.length));
      const pid = m ? Number(m[1] ?? m[2]) : 0;
      // Another user's leftovers cannot be removed (sticky /tmp); that is theirs to clean.
      if (pid > 0 && !isAlive(pid)) await fs.rm(path.join(dir, name), { force: true }).catch(() => undefined);
    }
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
