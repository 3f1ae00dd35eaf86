/**
 * Tethered mode in `npm run bench`: how long a picture taken with the body's shutter takes to be
 * complete in the roll, and what an app capture costs while tethering, taken inside the listener
 * (SIGUSR1) against stopping the listener, capturing with a new gphoto2 and starting it again. Both
 * at the simulator's zero start-up and at 500 ms (a body whose USB claim + PTP session open takes
 * half a second: libgphoto2 #309 measured ~1 s of camera init on a Nikon, gphoto2 #177 0.44 s of
 * driver loading on a Pi).
 */
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import type { FrameResult } from '../src/capture/captureStore';
import type { TetherSession } from '../src/session/tetherSession';

const run = promisify(execFile);

export interface TetherLatency {
  /** Body press to the frame complete in the roll (ms), `presses` presses. */
  pressToFile: number[];
  /** App capture while tethering, click to frame in the roll (ms), inside the listener. */
  signalCapture: number[];
  /** The same by stopping the listener, capturing, starting it again (click to frame). */
  pauseCapture: number[];
  /** Restarting the listener after each of those captures (ms): presses in this window need the card check. */
  pauseResume: number[];
}

export async function tetherLatency(
  openSession: (startupMs: number) => Promise<{ session: TetherSession; home: string; close: () => Promise<void> }>,
  startupMs: number,
  presses: number,
  captures: number,
): Promise<TetherLatency> {
  const { session, home, close } = await openSession(startupMs);
  try {
    const framed: FrameResult[] = [];
    session.on('frameCaptured', (r) => framed.push(r));
    await session.startTethering();
    const pressToFile: number[] = [];
    for (let i = 0; i < presses; i++) {
      const before = framed.length;
      await run(process.execPath, [path.join(__dirname, '..', '..', 'dist', 'simulator.js'), '--press-shutter'], {
        env: { ...process.env, CAMERA_TETHER_SIM_HOME: home },
      });
      while (framed.length === before) await new Promise((r) => setTimeout(r, 2));
      const done = Date.now();
      // The camera file's time is the moment of the press (the simulator records it; gphoto2 sets it).
      const pressedAt = (await fs.stat(framed[before].files[0].path)).mtimeMs;
      pressToFile.push(done - pressedAt);
    }
    const signalCapture: number[] = [];
    for (let i = 0; i < captures; i++) {
      const t = performance.now();
      await session.capture();
      signalCapture.push(performance.now() - t);
    }
    const pauseCapture: number[] = [];
    const pauseResume: number[] = [];
    for (let i = 0; i < captures; i++) {
      const t = performance.now();
      await session.stopTethering();
      await session.capture();
      pauseCapture.push(performance.now() - t);
      const r = performance.now();
      await session.startTethering();
      pauseResume.push(performance.now() - r);
    }
    await session.stopTethering();
    return { pressToFile, signalCapture, pauseCapture, pauseResume };
  } finally {
    await close();
  }
}
