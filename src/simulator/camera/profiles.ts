/**
 * Camera profiles: named sets of latencies from published figures, so that a benchmark on the
 * simulator pays what a real body and host pay. Every number's source is in ../README.md (Camera
 * profiles). `profile` in config.json picks one; fields given beside it override its values.
 */

export interface CameraProfile {
  /** What it stands for. */
  description: string;
  /** Once per process: loading gphoto2's drivers, the USB claim, the PTP session (startupMs). */
  connectMs: number;
  /** Each camera command inside an open process: its own PTP exchanges. */
  commandMs: number;
  /** A capture: from the release to the file ready on the camera (exposure and processing). */
  exposureMs: number;
  /** Download rate, megabytes (10^6 bytes) per second. */
  transferMBps: number;
  /** Live view frames per second. */
  liveViewFps: number;
}

export const CAMERA_PROFILES: Readonly<Record<string, CameraProfile>> = {
  'pi-nikon': {
    description: 'a Nikon DSLR driven from a Raspberry Pi over USB 2.0 (slow host)',
    connectMs: 1000,
    commandMs: 60,
    exposureMs: 920,
    transferMBps: 8,
    liveViewFps: 25,
  },
  dslr: {
    description: 'a typical Canon/Nikon DSLR on a desktop over USB 2.0',
    connectMs: 400,
    commandMs: 10,
    exposureMs: 700,
    transferMBps: 17.8,
    liveViewFps: 10,
  },
  mirrorless: {
    description: 'a fast mirrorless body on a desktop',
    connectMs: 210,
    commandMs: 10,
    exposureMs: 500,
    transferMBps: 35,
    liveViewFps: 25,
  },
};

/** The config fields a profile sets (connectMs is the simulator's startupMs). */
export function profileFields(profile: CameraProfile): Record<string, number> {
  return {
    startupMs: profile.connectMs,
    commandMs: profile.commandMs,
    exposureMs: profile.exposureMs,
    transferMBps: profile.transferMBps,
    liveViewFps: profile.liveViewFps,
  };
}
