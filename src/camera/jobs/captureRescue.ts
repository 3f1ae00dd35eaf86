/**
 * Nothing a user captured may be lost: complete files of a failed capture are moved to safety and
 * the error says where. A full disk is named as such, whatever gphoto2 printed.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { listDownloaded, type DownloadedFile } from '../downloadedFiles';
import { SETTING_IDS } from '../../config/settingIds';
import { CameraError } from '../errors';
import type { ExposureSink, LogLevel } from '../managerTypes';

/** Below this much free space a failed capture is reported as a full disk. */
const LOW_DISK_BYTES = 1024 * 1024;

export async function afterFailedCapture<T>(
  error: CameraError,
  stagingDir: string,
  sink: ExposureSink<T>,
  log: (level: LogLevel, message: string) => void,
  astray: DownloadedFile[] = [],
): Promise<{ error: CameraError; keepStaging: boolean }> {
  let result = error;
  if (error.kind !== 'cancelled' && error.kind !== 'storageFull') {
    const free = await fs
      .statfs(stagingDir)
      .then((s) => s.bavail * s.bsize)
      .catch(() => undefined);
    if (free !== undefined && free < LOW_DISK_BYTES) {
      result = new CameraError(
        'storageFull',
        `${error.message.split(':')[0]}: the disk holding ${path.dirname(path.dirname(stagingDir))} is full (${Math.round(free / 1024)} KB free). Free some space or choose another output folder.`,
        { ...error.details, setting: SETTING_IDS.outputFolder },
        ['openSettings', 'showLog'],
      );
    }
  }
  // Files gphoto2 saved outside the staging folder are rescued like those inside it.
  const complete = [...(await listDownloaded(stagingDir)), ...astray].filter((f) => f.complete);
  if (complete.length === 0) return { error: result, keepStaging: false };
  // The same error, with where the images that arrived are now.
  const saying = (where: string): CameraError =>
    new CameraError(result.kind, `${result.message} ${where}`, result.details, [...result.actions]);
  const staysInStaging = { error: saying(`The image that arrived stays in ${stagingDir}.`), keepStaging: true };
  if (!sink.rescue) return staysInStaging;
  try {
    const kept = await sink.rescue(complete);
    log('warn', `Kept ${complete.length} downloaded file(s) of the failed capture in ${kept}.`);
    const what = complete.length === 1 ? 'image that arrived was' : 'images that arrived were';
    return { error: saying(`The ${what} kept in ${kept}.`), keepStaging: false };
  } catch (rescueErr) {
    log(
      'error',
      `Could not move the downloaded files out of ${stagingDir}: ${(rescueErr as Error).message}; they stay there.`,
    );
    return staysInStaging;
  }
}
