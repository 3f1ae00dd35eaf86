/**
 * A holder keeps the camera between jobs with one long-running gphoto2 (live view, the tether
 * listener). The queue pauses the active holder before every job and starts the wanted one again
 * once no job is left; at most one holder runs.
 */
import type { CameraError } from '../errors';
import type { HolderKind } from '../managerTypes';
import type { JobContext } from '../jobs/jobContext';

export interface CameraHolder {
  readonly kind: HolderKind;
  /** The user turned it on and has not turned it off: the queue restarts it whenever the camera is free. */
  readonly wanted: boolean;
  /** Its gphoto2 runs and holds the camera. */
  readonly running: boolean;
  /** Date.now() when it last started. */
  readonly since: number;
  /** The user wants it (the queue will start it). */
  want(): void;
  /** The user no longer wants it (the queue will not restart it; call pause to stop it now). */
  unwant(): void;
  /** Starts its gphoto2 inside a queued job; resolves once it works (first frame, listener waiting). */
  start(ctx: JobContext): Promise<void>;
  /** Stops its gphoto2 and resolves once the camera is free (it stays wanted). */
  pause(reason: string): Promise<void>;
  /** Stops timers without waiting (the runner kills the child on dispose). */
  dispose(): void;
}

/** What a holder tells the queue when its gphoto2 ended on its own (camera unplugged, stalled). */
export type HolderFailure = (holder: CameraHolder, error: CameraError) => void;
