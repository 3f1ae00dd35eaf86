/** One exposure captured and downloaded (RAW+JPEG gives two files), verified, then committed by the sink. */
import { promises as fs } from 'fs';
import * as path from 'path';
import { listDownloaded, type DownloadedFile } from '../downloadedFiles';
import { CameraError, toCameraError } from '../errors';
import * as gp from '../gphoto2';
import {
  checkExposureLock,
  withExposureLock,
  withoutSettingMessages,
  type LockCheck,
  type LockedExposure,
} from '../config';
import type { JobWatch } from '../lingerWatch';
import type { CaptureRequest } from '../managerTypes';
import { savedOutside } from '../stagedFiles';
import { afterFailedCapture } from './captureRescue';
import type { JobContext } from './jobContext';

export function captureLabel(job: CaptureRequest<unknown>['job']): string {
  return job === 'capture' ? 'Capture' : 'Test capture';
}

/**
 * `expectedFiles`: how many files the last capture produced (what this one waits for before
 * deciding gphoto2 lingers); `locked`: the roll's exposure, written and read back before the
 * capture in the same run. Resolves with the sink's result and the number of files.
 */
export async function captureJob<T>(
  ctx: JobContext,
  request: CaptureRequest<T>,
  expectedFiles: number | undefined,
  locked?: LockedExposure,
): Promise<{ result: T; files: number; lock?: LockCheck }> {
  const label = captureLabel(request.job);
  const stagingDir = await request.makeStagingDir();
  let keepStaging = false;
  const watch: JobWatch = { dir: stagingDir, expectedFiles, stdout: '' };
  try {
    const entries = await fs.readdir(stagingDir);
    if (entries.length > 0)
      throw new CameraError(
        'failed',
        `${label} failed: the staging folder ${stagingDir} is not empty. This is a bug; please report it.`,
      );
    const { selection, keepOnCamera, timeouts } = ctx.settings;
    const lock = locked && locked.length > 0 ? locked : undefined;
    const capture = gp.captureAndDownloadArgs(selection, stagingDir, keepOnCamera);
    const args = lock ? withExposureLock(capture, lock) : capture;
    // With a lock, a refused write is the lock check's to report, not a failed capture: gphoto2 is
    // judged on its output without the settings' messages (it captures after a refused write).
    const r = await ctx.run(label, args, timeouts.captureMs, watch, lock ? { judgeOutput: false } : undefined);
    if (lock) {
      const error = gp.classifyOutcome(
        { ...r, stderr: withoutSettingMessages(r.stderr) },
        { job: label, command: ctx.settings.program.command, timeoutMs: timeouts.captureMs },
      );
      if (error) throw error;
    }
    const lockCheck = lock ? checkExposureLock(lock, r) : undefined;
    const astray = await savedOutside(watch.stdout, stagingDir);
    if (astray.length > 0) {
      throw new CameraError(
        'failed',
        `${label} failed: gphoto2 saved ${astray.length === 1 ? 'the image' : `${astray.length} files`} outside the staging folder (${astray.map((f) => f.path).join(', ')}), so the exposure was not added to the roll. Please report this with the log.`,
        { stderrTail: gp.outputTail(r.stderr, 6), exitCode: r.exitCode },
        ['showLog'],
      );
    }
    const files = await verifiedExposure(stagingDir, label, r);
    if (ctx.signal.aborted) throw new CameraError('cancelled', `${label} was cancelled.`);
    return {
      result: await request.commit(files),
      files: files.length,
      ...(lockCheck ? { lock: lockCheck } : {}),
    };
  } catch (err) {
    const failure = await afterFailedCapture(
      err instanceof CameraError ? err : toCameraError(err, `${label} failed`),
      stagingDir,
      request,
      ctx.log,
      await savedOutside(watch.stdout, stagingDir),
    );
    keepStaging = failure.keepStaging;
    throw failure.error;
  } finally {
    // What is left here is partial (complete files were rescued): none of it belongs in the roll.
    if (!keepStaging) await fs.rm(stagingDir, { recursive: true, force: true });
  }
}

/** The files of one exposure in `dir`, all complete, or the typed error saying what is wrong. */
export async function verifiedExposure(
  dir: string,
  label: string,
  r: { exitCode?: number; stdout: string; stderr: string },
): Promise<DownloadedFile[]> {
  const files = await listDownloaded(dir);
  if (files.length === 0) {
    throw new CameraError(
      'failed',
      `${label} failed: gphoto2 ${r.exitCode === 0 ? 'exited normally but ' : ''}delivered no image${gp.describeFailureLine(r)}. Check focus (autofocus may refuse to fire), the card and the battery, then try again.`,
      { stderrTail: gp.outputTail(r.stderr, 6), exitCode: r.exitCode },
    );
  }
  const incomplete = files.filter((f) => !f.complete);
  if (incomplete.length > 0) {
    throw new CameraError(
      'io',
      `${label} failed: ${incomplete.map((f) => path.basename(f.path)).join(', ')} arrived incomplete, so the exposure was not added to the roll. Try again; the image may still be on the camera's card.`,
    );
  }
  return files;
}
