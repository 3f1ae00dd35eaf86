/** How the panel, the status bar and the Rolls view name the camera and say how it is doing. */
import type { SessionSnapshot } from '../session/tetherSession';

export interface CameraLabel {
  /** The model ("Nikon DSC D750"), or what is known instead ("no camera found", "not detected yet"). */
  name: string;
  /** The port, when known ("usb:001,004"). */
  port?: string;
  /** A model is known (chosen in the settings or detected). */
  known: boolean;
}

export function cameraLabel(camera: SessionSnapshot['camera']): CameraLabel {
  if (camera.model) return { name: camera.model, port: camera.port, known: true };
  const d = camera.detected;
  if (d && d.count > 0 && d.model) {
    // gphoto2 uses the first camera it finds when none is chosen.
    const name = d.count > 1 ? `${d.model} (first of ${d.count} found)` : d.model;
    return { name, port: camera.port ?? d.port, known: true };
  }
  if (d) return { name: 'no camera found', port: camera.port, known: false };
  return { name: 'not detected yet', port: camera.port, known: false };
}

/** One line on the camera's connection: what it is doing, or why it is not usable. */
export function connectionState(s: SessionSnapshot): string {
  switch (s.state) {
    case 'busy':
      return `busy: ${s.job ?? 'working'}${s.queued > 0 ? ` (${s.queued} waiting)` : ''}`;
    case 'error':
      return `failed: ${s.error?.message ?? 'see the log'}`;
    case 'live':
      return 'live view running';
    case 'tethering':
      return 'tethered: listening for the camera’s shutter';
    case 'idle':
      if (s.tethering.wanted) return 'tethered (paused)';
      if (s.camera.detected?.count === 0) return 'no camera found at the last check';
      return s.camera.detected ? 'ready (camera detected)' : 'ready (connects at the next command)';
  }
}
