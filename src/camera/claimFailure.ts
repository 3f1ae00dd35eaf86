/** The -53 "Could not claim the USB device" failure, and the error naming who holds the camera instead. */
import { CameraError } from './errors';
import { describeHolders, type Holder } from './processReaper';

export function isClaimFailure(error: CameraError | undefined): error is CameraError {
  return error?.kind === 'busy' && error.details.gphoto2Code === -53;
}

/** The -53 error naming the programs that hold the camera (found by cleanup, not ours to stop). */
export function heldBy(job: string, error: CameraError, others: readonly Holder[]): CameraError {
  return new CameraError('busy', `${job} failed: ${describeHolders(others)} Then try again.`, error.details, [
    'retry',
    'showLog',
  ]);
}
