/**
 * --wait-event[=ARG], --wait-event-and-download[=ARG] and --capture-tethered[=ARG], after gphoto2's
 * action_camera_wait_event() (actions.c, the same in 2.5.28 and today): print what it waits for,
 * then loop: stop on Ctrl-C; on SIGUSR1 capture and handle the new file as a "file added" event; on
 * SIGUSR2 stop; stop when the count, frames or time of ARG are used up; otherwise wait up to 1 s
 * for one camera event (a timeout counts as an event too) and handle it. A new file is downloaded
 * through the same code as a capture's download (naming, never overwriting without asking) with
 * only its `Saving file as` line, then deleted from the card without a line; a download failure
 * ends the wait with that error (exit 1).
 */
import type { GpContext } from '../cli/gpContext';
import { GpError, GP_ERROR, GP_ERROR_CAMERA_BUSY, GP_ERROR_NO_MEMORY } from '../cli/gpError';
import { DEVICE_BUSY_MESSAGE, NO_FOCUS_MESSAGE, STORE_FULL_MESSAGE } from '../cli/outputTexts';
import { CancelledError } from '../cli/session';
import { getFile } from './captureAction';
import type { CameraFile } from './simCamera';
import { fileStalePresses } from './cardFiles';
import { keepOnCard, pendingPresses, readPress, removeFromCard, removePress, watchPresses } from './shutterPresses';

export type WaitMode =
  | { kind: 'events'; events: number }
  | { kind: 'frames'; frames: number }
  | { kind: 'time'; ms: number }
  | { kind: 'string'; text: string };

/** C's sscanf("%d"): the leading integer, or undefined when the text does not start with one. */
function scanInt(text: string): number | undefined {
  const m = /^\s*[-+]?\d+/.exec(text);
  return m ? Number.parseInt(m[0], 10) : undefined;
}

/** The argument forms in gphoto2's order: `5f` frames, `100ms`, `10s`, `5` events, else an event name. */
export function parseWaitArg(arg: string | undefined): { mode: WaitMode; header: string } {
  if (arg === undefined || arg === '') {
    return {
      mode: { kind: 'events', events: 1000000 },
      header: 'Waiting for events from camera. Press Ctrl-C to abort.\n',
    };
  }
  const x = scanInt(arg);
  if (arg.endsWith('f') && x !== undefined) {
    return {
      mode: { kind: 'frames', frames: x },
      header: `Waiting for ${x} frames from the camera. Press Ctrl-C to abort.\n`,
    };
  }
  if (arg.length > 2 && arg.endsWith('ms') && x !== undefined) {
    return {
      mode: { kind: 'time', ms: x },
      header: `Waiting for ${x} milliseconds for events from camera. Press Ctrl-C to abort.\n`,
    };
  }
  if (arg.endsWith('s') && x !== undefined) {
    return {
      mode: { kind: 'time', ms: x * 1000 },
      header: `Waiting for ${x} seconds for events from camera. Press Ctrl-C to abort.\n`,
    };
  }
  if (x !== undefined) {
    return {
      mode: { kind: 'events', events: x },
      header: `Waiting for ${x} events from camera. Press Ctrl-C to abort.\n`,
    };
  }
  return {
    mode: { kind: 'string', text: arg },
    header: `Waiting for '${arg}' event from camera. Press Ctrl-C to abort.\n`,
  };
}

type CameraEvent = { kind: 'timeout' } | { kind: 'fileAdded'; file: CameraFile };

const EVENT_FOUND = 'event found, stopping wait!\n';

/** Returns gphoto2's result: 0, or a negative code (reported by main, exit 1). */
export async function waitEvent(gp: GpContext, download: boolean, arg: string | undefined): Promise<number> {
  const { session, camera, flags } = gp;
  const { mode, header } = parseWaitArg(arg);
  session.out(header);
  // Files the camera has announced but this loop has not handled yet (a RAW+JPEG pair's second file).
  const queued: CameraFile[] = [];
  const started = Date.now();
  // Presses before this wait began were made while no session listened: on the card, never announced.
  const listeningSince = process.hrtime.bigint();
  let events = 0;
  let frames = 0;
  /** gphoto2 tests its WAIT_STRING with strstr(EVENTNAME, arg): the argument must be part of the name. */
  const found = (name: string): boolean => mode.kind === 'string' && name.includes(mode.text);

  for (;;) {
    let leftoverMs = 1000;
    if (session.cancelled) break;
    let event: CameraEvent | undefined;
    if (session.captureNow) {
      session.captureNow = false;
      session.out('SIGUSR1 signal received, triggering capture!\n');
      const files = await captureInWait(gp);
      if (files.length > 0) {
        queued.push(...files.slice(1));
        event = { kind: 'fileAdded', file: files[0] };
      }
    }
    if (!event) {
      if (session.endNext) {
        session.out('SIGUSR2 signal received, stopping wait!\n');
        session.endNext = false;
        break;
      }
      if (mode.kind === 'events' && events >= mode.events) break;
      if (mode.kind === 'frames' && frames >= mode.frames) break;
      if (mode.kind === 'time') {
        const x = Date.now() - started;
        if (x >= mode.ms) break;
        leftoverMs = Math.min(leftoverMs, mode.ms - x);
      }
      try {
        event = await waitForEvent(gp, leftoverMs, queued, listeningSince);
      } catch (err) {
        if (!(err instanceof GpError)) throw err;
        gp.printContext(err);
        return err.code;
      }
    }
    events++;
    if (event.kind === 'timeout') {
      if (found('TIMEOUT')) {
        session.out(EVENT_FOUND);
        return 0;
      }
      continue;
    }
    frames++;
    const file = event.file;
    const isJpeg = file.name.includes('.jpg') || file.name.includes('.JPG');
    if (!download || (flags.keepRaw && !isJpeg)) {
      session.out(`FILEADDED ${file.name} ${file.folder}\n`);
      if (found('FILEADDED')) {
        session.out(EVENT_FOUND);
        return 0;
      }
      continue;
    }
    gp.folder = file.folder; // set_folder_action before the download, as the wait does
    try {
      await getFile(gp, file);
    } catch (err) {
      if (err instanceof CancelledError) {
        session.err('ERROR: Could not get image.\n');
        throw err;
      }
      if (!(err instanceof GpError)) throw err;
      gp.printContext(err);
      session.err('ERROR: Could not get image.\n');
      return err.code;
    }
    // Deleted from the card without a line (delete_file_action prints nothing); --keep keeps it.
    if (!flags.keep) removeFromCard(camera.dir, file.name);
    if (found('FILEADDED')) {
      session.out(EVENT_FOUND);
      return 0;
    }
  }
  return 0;
}

/** gp_camera_capture inside the wait: a failure prints libgphoto2's context error and is otherwise ignored. */
async function captureInWait(gp: GpContext): Promise<CameraFile[]> {
  const { camera } = gp;
  try {
    await camera.ensureOpen();
    if (camera.config.busy) throw new GpError(GP_ERROR_CAMERA_BUSY, DEVICE_BUSY_MESSAGE);
    if (camera.config.cardFull) throw new GpError(GP_ERROR_NO_MEMORY, STORE_FULL_MESSAGE);
    if (camera.config.captureFailsExitZero) throw new GpError(GP_ERROR, NO_FOCUS_MESSAGE);
    await gp.session.wait(camera.config.exposureMs); // the exposure (a signal ends only the wait's loop)
    return onCard(gp, camera.shoot());
  } catch (err) {
    if (!(err instanceof GpError)) throw err;
    gp.printContext(err);
    return [];
  }
}

/**
 * gp_camera_wait_for_event: the next announced file, else the oldest shutter press made on the
 * body, else wait up to `ms` for a press; a timeout when none came. SIGUSR1/SIGUSR2 and Ctrl-C end
 * the wait at once (as measured with libgphoto2's virtual camera; a real body may take up to the
 * full second before gphoto2 looks at its flags).
 */
async function waitForEvent(
  gp: GpContext,
  ms: number,
  queued: CameraFile[],
  listeningSince: bigint,
): Promise<CameraEvent> {
  const { session, camera } = gp;
  await camera.ensureOpen();
  fileStalePresses(gp, listeningSince);
  if (camera.config.busy) throw new GpError(GP_ERROR_CAMERA_BUSY, DEVICE_BUSY_MESSAGE);
  let wake: () => void = () => undefined;
  const woken = new Promise<void>((resolve) => (wake = resolve));
  // Watch first, then look: a press made in between is not missed.
  const stopWatching = watchPresses(camera.dir, wake);
  const stopSignals = session.onUserSignal(wake);
  try {
    const next = queued.shift() ?? takeOldestPress(gp, queued);
    if (next) return { kind: 'fileAdded', file: next };
    if (session.captureNow || session.endNext) return { kind: 'timeout' };
    await Promise.race([session.wait(ms), woken]);
  } finally {
    stopWatching();
    stopSignals();
  }
  const after = takeOldestPress(gp, queued);
  return after ? { kind: 'fileAdded', file: after } : { kind: 'timeout' };
}

/** The oldest press becomes this session's next exposure; its second file (RAW+JPEG) waits in `queued`. */
function takeOldestPress(gp: GpContext, queued: CameraFile[]): CameraFile | undefined {
  const { camera } = gp;
  for (const name of pendingPresses(camera.dir)) {
    const when = readPress(camera.dir, name);
    if (when === undefined) continue;
    // Numbered, then on the card, then out of the queue: a kill in between never loses the picture.
    const files = onCard(gp, camera.shoot(when));
    removePress(camera.dir, name);
    queued.push(...files.slice(1));
    return files[0];
  }
  return undefined;
}

/** The files of one exposure, recorded on the card until downloaded and deleted. */
function onCard(gp: GpContext, files: CameraFile[]): CameraFile[] {
  for (const f of files) keepOnCard(gp.camera.dir, f.folder, f.name, f.mtime);
  return files;
}
