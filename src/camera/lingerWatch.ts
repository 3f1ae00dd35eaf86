/**
 * gphoto2 sometimes stays alive after delivering its files, still holding the camera. The watch
 * looks at the job's folder and gphoto2's output and stops it only once the job is done: every file
 * present is complete, every file it announced (`New file is in location ...`) has arrived, and
 * nothing has changed for `lingerMs`. A RAW+JPEG body may announce its second file only after a
 * pause, so until as many files as expected have arrived (or when that is unknown) it gets gphoto2's
 * own wait for more files on top.
 */
import * as path from 'path';
import { filesSignature, listDownloaded } from './downloadedFiles';
import * as gp from './gphoto2';
import { delay } from './processReaper';
import type { RunResult, StopSignal } from './processRunner';
import { savedOutside } from './stagedFiles';

const FILE_POLL_MS = 25;
/**
 * After the last file of a capture, gphoto2 keeps waiting this long for more files of the same
 * exposure (capture_generic's final event loop, restarted at each new file) before it exits.
 */
export const GPHOTO2_EVENT_DRAIN_MS = 3000;

/** A job whose files are watched while gphoto2 runs. */
export interface JobWatch {
  /** The job's own folder: gphoto2 runs in it and saves into it. */
  dir: string;
  /**
   * How many files this job should produce (a preview: 1; a capture: as many as the previous capture
   * of this session), or undefined when that is not known yet.
   */
  expectedFiles: number | undefined;
  /** gphoto2's stdout so far, as it streams (for `New file is in location` and `Saving file as`). */
  stdout: string;
}

/** Returns how long the child lingered (then it was stopped), or undefined when it exited by itself. */
export function stopIfLingering(
  child: { result: Promise<RunResult>; stop(signal?: StopSignal): Promise<RunResult> },
  watch: JobWatch,
  lingerMs: number,
): { stop(): Promise<number | undefined> } {
  let exited = false;
  const watcher = (async (): Promise<number | undefined> => {
    let signature = '';
    let quietSince = 0;
    while (!exited) {
      await Promise.race([delay(FILE_POLL_MS), child.result]);
      if (exited) return undefined;
      const files = [...(await listDownloaded(watch.dir)), ...(await savedOutside(watch.stdout, watch.dir))];
      // gphoto2 saves as %f.%C, so a camera file's local name is its camera-side base name.
      const announced = gp.parseNewCameraFiles(watch.stdout).map((p) => p.slice(p.lastIndexOf('/') + 1));
      const now = performance.now();
      const sig = `${filesSignature(files)}|${announced.join('/')}`;
      if (sig !== signature) {
        signature = sig;
        quietSince = now;
        continue;
      }
      const arrived = new Set(files.filter((f) => f.complete).map((f) => path.basename(f.path)));
      const done = files.length > 0 && files.every((f) => f.complete) && announced.every((name) => arrived.has(name));
      if (!done) continue;
      const asExpected = watch.expectedFiles !== undefined && files.length >= watch.expectedFiles;
      const quietMs = lingerMs + (asExpected ? 0 : GPHOTO2_EVENT_DRAIN_MS);
      if (now - quietSince >= quietMs) {
        if (exited) return undefined;
        await child.stop();
        return now - quietSince;
      }
    }
    return undefined;
  })();
  void child.result.then(() => (exited = true));
  return {
    stop: async () => {
      exited = true;
      return watcher;
    },
  };
}
