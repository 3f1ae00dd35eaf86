/**
 * --capture-image and --capture-image-and-download, after gphoto2's capture_generic() and
 * save_captured_file(): which failures print "ERROR: ..." and still exit 0, which end the run.
 */
import * as fs from 'fs';
import { saveCameraFileToFile, writeToStdout } from './download';
import type { GpContext } from '../cli/gpContext';
import { FATAL_CAPTURE_ERRORS, GpError, GP_ERROR, GP_ERROR_CAMERA_BUSY, GP_ERROR_NO_MEMORY } from '../cli/gpError';
import { DEVICE_BUSY_MESSAGE, NO_FOCUS_MESSAGE, STORE_FULL_MESSAGE } from '../cli/outputTexts';
import { CancelledError } from '../cli/session';
import type { CameraFile } from './simCamera';

const CAPTURE_FAILED = 'ERROR: Could not capture image.\nERROR: Could not capture.\n';
/**
 * capture_generic's final event loop: after each file it waits up to 3 s for the camera to report
 * another one (RAW+JPEG), then returns; a file reported later stays on the card.
 */
const EVENT_DRAIN_MS = 3000;

/** Returns gphoto2's result: 0, or a negative code that makes gphoto2 report the error and exit 1. */
export async function captureImage(gp: GpContext, download: boolean): Promise<number> {
  const { session, camera } = gp;
  let files: CameraFile[];
  try {
    await camera.ensureOpen();
    session.checkpoint();
    if (camera.config.busy) throw new GpError(GP_ERROR_CAMERA_BUSY, DEVICE_BUSY_MESSAGE);
    if (camera.config.cardFull) throw new GpError(GP_ERROR_NO_MEMORY, STORE_FULL_MESSAGE);
    if (camera.config.captureFailsExitZero) throw new GpError(GP_ERROR, NO_FOCUS_MESSAGE);
    await session.sleep(camera.config.exposureMs); // the release, the exposure, the camera's processing
    files = camera.shoot();
  } catch (err) {
    if (err instanceof CancelledError) {
      session.err(CAPTURE_FAILED);
      throw err;
    }
    if (!(err instanceof GpError)) throw err;
    gp.printContext(err);
    session.err(CAPTURE_FAILED);
    return FATAL_CAPTURE_ERRORS.has(err.code) ? err.code : 0;
  }
  // A RAW+JPEG body reports the second file as an event that gphoto2 handles after the first (all
  // of the first file's lines come before the second's "New file"), even when the first one could
  // not be downloaded. A signal during the wait cancels at that point, like any other wait here.
  const gap = camera.config.rawJpegGapMs;
  for (const [i, file] of files.entries()) {
    if (i > 0 && gap > 0) {
      await session.sleep(Math.min(gap, EVENT_DRAIN_MS));
      if (gap > EVENT_DRAIN_MS) break;
    }
    await saveCaptured(gp, file, download);
  }
  return 0;
}

async function saveCaptured(gp: GpContext, file: CameraFile, download: boolean): Promise<void> {
  const { session, flags } = gp;
  const where = `${file.folder}/${file.name}`;
  // gphoto2 makes the new file's folder its current one (the shell's prompt shows it).
  gp.folder = file.folder;
  if (flags.quiet) {
    if (!flags.stdout) session.out(`${where}\n`);
  } else {
    session.out(`New file is in location ${where} on the camera\n`);
  }
  if (!download) return;
  if (flags.keepRaw && !file.name.includes('.jpg') && !file.name.includes('.JPG')) {
    if (!flags.quiet) session.out(`Keeping file ${where} on the camera\n`);
    return;
  }
  try {
    await getFile(gp, file);
  } catch (err) {
    if (!(err instanceof GpError)) throw err;
    gp.printContext(err);
    session.err('ERROR: Could not get image.\n');
    return;
  }
  if (flags.quiet) return;
  session.out(flags.keep ? `Keeping file ${where} on the camera\n` : `Deleting file ${where} on the camera\n`);
}

/** save_file_to_file(): the file's bytes to stdout (--stdout) or to a file named from --filename. */
export async function getFile(gp: GpContext, file: CameraFile): Promise<void> {
  // gphoto2 first downloads into a temp file made with mkstemp() in the working folder; where it
  // may not write, that fails before anything else (recorded on 2.5.28 as "Permission denied").
  if (!writable(process.cwd())) throw new GpError(GP_ERROR, 'Permission denied');
  if (gp.flags.stdout) {
    await writeToStdout(gp, file.data);
    return;
  }
  await saveCameraFileToFile(gp, file, 'normal');
}

function writable(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
