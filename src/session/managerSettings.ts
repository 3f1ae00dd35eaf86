/** Turns the user's settings into what the camera manager and capture store need. Pure. */
import type { ManagerSettings } from '../camera/cameraManager';
import { realGphoto2, simulatedGphoto2 } from '../camera/gphoto2Program';
import type { TetherSettings } from '../config/settings';

export function managerSettingsFrom(
  s: TetherSettings,
  paths: { simulatorScript: string; previewDir: string },
): ManagerSettings {
  return {
    program: s.source === 'simulator' ? simulatedGphoto2(paths.simulatorScript) : realGphoto2(s.gphoto2Path),
    // The simulator is one camera on its own port: a real body's model/port would not match it.
    selection: s.source === 'simulator' ? {} : { model: s.camera, port: s.port },
    timeouts: {
      commandMs: s.commandTimeoutMs,
      previewMs: s.previewTimeoutMs,
      captureMs: s.captureTimeoutMs,
      cleanupTermMs: s.cleanupTimeoutMs,
      cleanupKillMs: s.cleanupTimeoutMs,
    },
    graceMs: s.killGraceMs,
    lingerMs: s.lingerMs,
    cleanupMode: s.cleanupMode,
    cleanupNames: s.cleanupProcessNames,
    settleMs: s.cleanupSettleMs,
    keepOnCamera: s.keepOnCamera,
    previewDir: paths.previewDir,
    liveViewMaxFps: s.liveViewMaxFps,
    connection: s.connection,
    sessionIdleMs: s.sessionIdleMs,
  };
}
