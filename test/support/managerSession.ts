/**
 * What the manager suites build for every test: a CameraManager with its own runner, reaper and lock
 * file, its log lines collected, and a TetherSession over a capture store. Each suite adds its own
 * camera (simulator or real gphoto2) and its own clean-up around this.
 */
import * as path from 'path';
import { CameraLock } from '../../src/camera/cameraLock';
import { CameraManager, type ManagerSettings } from '../../src/camera/cameraManager';
import { ProcessReaper } from '../../src/camera/processReaper';
import { ProcessRunner } from '../../src/camera/processRunner';
import type { ProcessTable } from '../../src/camera/processTable';
import { OwnChildrenTable } from './ownChildrenTable';
import { CaptureStore } from '../../src/capture/captureStore';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { TetherSession, type CameraIdentity } from '../../src/session/tetherSession';

export interface ManagerSession {
  runner: ProcessRunner;
  manager: CameraManager;
  session: TetherSession;
  /** Every log line of the manager, as "level: message". */
  logs: string[];
  /** The camera lock the manager uses (the session inspects and takes it over). */
  lock: CameraLock;
  /** Disposes the session and the manager (its children killed and awaited, the lock released). */
  close(): Promise<void>;
}

export async function openManagerSession(opts: {
  settings: ManagerSettings;
  /** The lock file goes here (per test, so tests never contend for the real one). */
  workDir: string;
  output: string;
  identity: CameraIdentity;
  roll?: string;
  /** Which processes the reaper sees (default: this test process's children, see OwnChildrenTable). */
  table?: ProcessTable;
  lockLabel?: string;
}): Promise<ManagerSession> {
  const runner = new ProcessRunner();
  const reaper = new ProcessReaper(opts.table ?? new OwnChildrenTable(), {
    names: [],
    termTimeoutMs: 1000,
    killTimeoutMs: 1000,
    settleMs: 0,
  });
  const lock = new CameraLock(path.join(opts.workDir, 'camera.lock'), opts.lockLabel ?? 'test');
  const manager = new CameraManager({ runner, reaper, lock }, opts.settings);
  const logs: string[] = [];
  manager.on('log', (e) => logs.push(`${e.level}: ${e.message}`));
  const store = new CaptureStore(opts.output, parseFilenamePattern('frame-{frame:04}'), opts.roll ?? 'roll-1');
  const session = await TetherSession.open(manager, store, opts.identity, { lock });
  return {
    runner,
    manager,
    session,
    lock,
    logs,
    close: () => session.close(),
  };
}
