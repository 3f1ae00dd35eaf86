/**
 * --capture-movie[=COUNT|=SECONDSs]: live-view frames as concatenated JPEGs (MJPEG) to stdout with
 * --stdout, else to movie.mjpg, after action_camera_capture_movie() in gphoto2 2.5.28. It always
 * returns 0: a camera error ends the movie with "Movie capture error... Exiting." and exit 0,
 * and the first SIGINT ends it after the frame in flight with "Movie capture finished (N frames)".
 */
import * as fs from 'fs';
import type { GpContext } from '../cli/gpContext';
import { GpError, GP_ERROR_CAMERA_BUSY, GP_ERROR_NOT_SUPPORTED } from '../cli/gpError';
import { DEVICE_BUSY_MESSAGE, NO_LIVEVIEW_MESSAGE } from '../cli/outputTexts';
import { CancelledError } from '../cli/session';
import { encodeJpeg, renderLiveFrame } from '../image/testCard';

/**
 * A frame that is well-formed on the wire (SOI, a start-of-scan segment, entropy bytes, EOI), so a
 * splitter that walks the JPEG structure passes it on, but that no decoder can show: it lacks the
 * frame header and tables, as when a transfer loses its first packet.
 */
const CORRUPT_FRAME = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]),
  Buffer.alloc(256, 0x5a),
  Buffer.from([0xff, 0xd9]),
]);

type Mode = { kind: 'endless' } | { kind: 'frames'; count: number } | { kind: 'seconds'; seconds: number };

export function parseMovieArg(arg: string | undefined): Mode {
  if (arg === undefined) return { kind: 'endless' };
  // sscanf("%d"): leading number or 0; an 's' anywhere means seconds.
  const n = Number(/^\s*[-+]?\d+/.exec(arg)?.[0] ?? 0);
  return arg.includes('s') ? { kind: 'seconds', seconds: n } : { kind: 'frames', count: n };
}

export async function captureMovie(gp: GpContext, arg: string | undefined): Promise<number> {
  const { session, camera } = gp;
  const config = camera.config;
  let fd = 1;
  let xname = 'stdout';
  if (!gp.flags.stdout) {
    xname = 'movie.mjpg';
    try {
      // open(O_WRONLY|O_CREAT) without O_TRUNC, as gphoto2 does: an older, longer movie keeps its tail.
      fd = fs.openSync('movie.mjpg', fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o660);
    } catch {
      session.err("ERROR: Could not open 'movie.mjpg'.\n");
      return -1;
    }
  }
  const mode = parseMovieArg(arg);
  if (mode.kind === 'endless') session.err(`Capturing preview frames as movie to '${xname}'. Press Ctrl-C to abort.\n`);
  else if (mode.kind === 'seconds')
    session.err(`Capturing preview frames as movie to '${xname}' for ${mode.seconds} seconds.\n`);
  else session.err(`Capturing ${mode.count} preview frames as movie to '${xname}'.\n`);

  const started = Date.now();
  const interval = 1000 / config.liveViewFps;
  let frames = mode.kind === 'frames' ? mode.count : 0;
  let captured = 0;
  /** Frames kept for replay when liveViewFrameLoop is set (drawn once, the first time round). */
  const loop: Buffer[] = [];
  const draw = (n: number): Buffer =>
    encodeJpeg(renderLiveFrame(config.liveViewWidth, config.liveViewHeight, n, new Date()), config.jpegQuality);
  for (;;) {
    let jpeg: Buffer;
    try {
      await camera.ensureOpen();
      if (config.noLiveView) throw new GpError(GP_ERROR_NOT_SUPPORTED, NO_LIVEVIEW_MESSAGE);
      if (config.busy) throw new GpError(GP_ERROR_CAMERA_BUSY, DEVICE_BUSY_MESSAGE);
      // The camera delivers frames at its own rate; the frame in flight completes even after Ctrl-C.
      await session.wait(Math.max(0, started + captured * interval - Date.now()));
      const corrupt = config.liveViewCorruptEvery > 0 && (captured + 1) % config.liveViewCorruptEvery === 0;
      const loopAt = config.liveViewFrameLoop > 0 ? captured % config.liveViewFrameLoop : -1;
      jpeg = corrupt ? CORRUPT_FRAME : loopAt < 0 ? draw(captured) : (loop[loopAt] ??= draw(captured));
    } catch (err) {
      if (err instanceof GpError) gp.printContext(err);
      else if (!(err instanceof CancelledError)) throw err;
      session.err('ERROR: Movie capture error... Exiting.\n');
      break;
    }
    if (fd === 1) session.out(jpeg);
    else fs.writeSync(fd, jpeg);
    captured++;
    if (session.cancelled) {
      session.err('Ctrl-C pressed ... Exiting.\n');
      break;
    }
    // gphoto2 tests `!frames--` after each frame, so --capture-movie=N really yields N+1 frames.
    if (mode.kind === 'frames' && frames-- === 0) break;
    if (mode.kind === 'seconds' && Date.now() - started >= mode.seconds * 1000) break;
  }
  if (fd !== 1) fs.closeSync(fd);
  session.err(`Movie capture finished (${captured} frames)\n`);
  return 0;
}
