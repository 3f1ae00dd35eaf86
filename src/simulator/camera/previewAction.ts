/** --capture-preview: one live-view frame saved as capture_preview.jpg, --filename or to --stdout. */
import { saveCameraFileToFile, writeToStdout } from './download';
import type { GpContext } from '../cli/gpContext';
import { GpError, GP_ERROR_CAMERA_BUSY, GP_ERROR_NOT_SUPPORTED } from '../cli/gpError';
import { DEVICE_BUSY_MESSAGE, NO_LIVEVIEW_MESSAGE } from '../cli/outputTexts';

/** Throws GpError like action_camera_capture_preview's CR(): gphoto2 then reports it and exits 1. */
export async function capturePreview(gp: GpContext): Promise<void> {
  const { camera } = gp;
  await camera.ensureOpen();
  gp.session.checkpoint();
  if (camera.config.noLiveView) throw new GpError(GP_ERROR_NOT_SUPPORTED, NO_LIVEVIEW_MESSAGE);
  if (camera.config.busy) throw new GpError(GP_ERROR_CAMERA_BUSY, DEVICE_BUSY_MESSAGE);
  const data = camera.preview();
  if (gp.flags.stdout) {
    await writeToStdout(gp, data);
    return;
  }
  await saveCameraFileToFile(gp, { folder: '/', name: 'capture_preview', data, mtime: new Date() }, 'preview');
}
