/**
 * The roll's exposure lock (issue 11) between the roll's file and the camera: taking a lock from the
 * camera's current values, turning the stored lock into the writes a capture makes (planned against
 * the camera's settings, read again once when the camera's mode has changed), and the lock as the
 * panel and getState show it. No vscode here.
 */
import { lockedExposure, planWrites, type CameraSetting, type LockCheck, type LockedExposure } from '../camera/config';
import { CameraError } from '../camera/errors';
import type { CaptureStore } from '../capture/captureStore';
import type { LockedValue, StoredExposureLock } from '../capture/exposureLockRecord';

/** The lock as getState and the panel show it. */
export interface ExposureLockView {
  roll: string;
  lockedAt: string;
  camera?: string;
  values: LockedValue[];
  /** The last check of the lock in a capture's run (or a correction), when there was one. */
  lastCheck?: {
    ok: boolean;
    job: 'capture' | 'testCapture' | 'correction' | 'tethering';
    at: string;
    /** Locked values that did not read back as locked. */
    mismatches: Array<{ name: string; locked: string; readBack?: string }>;
  };
}

/** The settings the session last read from this camera, kept to plan writes with. */
export interface SettingsMemory {
  last(): readonly CameraSetting[] | undefined;
  remember(settings: CameraSetting[]): void;
}

const UNLOCK_HINT =
  'Unlock the exposure (Camera: Unlock Exposure) or lock it again (Camera: Lock Exposure for This Roll).';

export class RollExposureLock {
  private view: ExposureLockView | undefined;

  constructor(
    private readonly store: CaptureStore,
    private readonly memory: SettingsMemory,
  ) {}

  /** The current roll's lock as last read or changed here (see refresh). */
  get current(): ExposureLockView | undefined {
    return this.view;
  }

  /** Re-reads the roll's lock from its file (at a roll change, or when another window changed it). */
  async refresh(): Promise<ExposureLockView | undefined> {
    const { lock } = await this.store.exposureLock();
    this.view = lock ? this.viewOf(lock, this.view) : undefined;
    return this.view;
  }

  /**
   * Locks the roll to the camera's exposure values in `settings` (ISO, shutter, aperture,
   * compensation, white balance: those the camera has and lets us set).
   */
  async lock(
    settings: readonly CameraSetting[],
    camera: string | undefined,
  ): Promise<{ view: ExposureLockView; skipped: CameraSetting[] }> {
    const { locked, skipped } = lockedExposure(settings);
    if (locked.length === 0)
      throw new CameraError(
        'cameraSetting',
        `There is no exposure setting to lock: the camera reports ${
          skipped.length > 0
            ? `${skipped.map((s) => s.label).join(', ')} as read-only`
            : 'no ISO, shutter speed or aperture'
        }. Turn the mode dial to M (manual), then lock again.`,
      );
    const lock: StoredExposureLock = {
      lockedAt: new Date().toISOString(),
      ...(camera ? { camera } : {}),
      values: locked.map((p) => ({
        path: p.path,
        name: p.name,
        label: p.label,
        ...(p.role ? { role: p.role } : {}),
        value: p.requested,
      })),
    };
    await this.store.setExposureLock(lock);
    this.view = this.viewOf(lock);
    return { view: this.view, skipped };
  }

  async unlock(): Promise<void> {
    await this.store.setExposureLock(undefined);
    this.view = undefined;
  }

  /**
   * For a capture request: the roll's lock as writes planned against the camera's settings (`read`
   * reads them inside the capture's job when none are known, or when the known ones no longer take
   * the locked values, e.g. after the mode dial moved). Throws a typed error when the lock cannot be
   * applied: the frame is not taken at a wrong exposure.
   */
  async forCapture(read: () => Promise<CameraSetting[]>): Promise<LockedExposure | undefined> {
    const { lock, problem } = await this.store.exposureLock();
    if (problem)
      throw new CameraError(
        'cameraSetting',
        `The roll "${this.store.roll}" has an exposure lock that cannot be used (${problem}). ${UNLOCK_HINT}`,
      );
    this.view = lock ? this.viewOf(lock, this.view) : undefined;
    if (!lock) return undefined;
    const writes = lock.values.map((v) => ({ name: v.path, value: v.value }));
    const known = this.memory.last();
    if (known) {
      try {
        return planWrites(known, writes);
      } catch {
        // The camera may have changed mode since that read: read again before refusing.
      }
    }
    const fresh = await read();
    this.memory.remember(fresh);
    try {
      return planWrites(fresh, writes);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new CameraError(
        'cameraSetting',
        `Not captured: the roll's locked exposure cannot be set. ${reason} ${UNLOCK_HINT}`,
        err instanceof CameraError ? err.details : {},
      );
    }
  }

  /** Records a check of the lock (a capture's run, a correction, the start of tethered mode). */
  checked(job: NonNullable<ExposureLockView['lastCheck']>['job'], check: LockCheck): void {
    if (!this.view) return;
    this.view = {
      ...this.view,
      lastCheck: {
        ok: check.ok,
        job,
        at: new Date().toISOString(),
        mismatches: check.values
          .filter((v) => !v.ok)
          .map((v) => ({
            name: v.name,
            locked: v.locked,
            ...(v.readBack !== undefined ? { readBack: v.readBack } : {}),
          })),
      },
    };
  }

  private viewOf(lock: StoredExposureLock, previous?: ExposureLockView): ExposureLockView {
    const same = previous && previous.roll === this.store.roll && previous.lockedAt === lock.lockedAt;
    return {
      roll: this.store.roll,
      lockedAt: lock.lockedAt,
      ...(lock.camera ? { camera: lock.camera } : {}),
      values: lock.values,
      ...(same && previous.lastCheck ? { lastCheck: previous.lastCheck } : {}),
    };
  }
}
