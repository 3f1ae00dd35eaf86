/**
 * The settings jobs over the queue's runner: the foundation (src/camera/config) builds the argv
 * and judges the output; here gphoto2 runs with `judgeOutput: false` so a refused write still
 * returns the read-backs of the same run instead of only an error.
 */
import {
  applyExposureLock,
  readCameraSettings,
  writeCameraSettings,
  type CameraSetting,
  type LockCheck,
  type LockedExposure,
  type RunGphoto2,
  type SettingWrite,
  type WriteResult,
} from '../config';
import type { JobContext } from './jobContext';

export function settingsRunner(ctx: JobContext): RunGphoto2 {
  return async (label, args) => {
    const r = await ctx.run(label, args, ctx.settings.timeouts.commandMs, undefined, { judgeOutput: false });
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? null };
  };
}

export function readSettingsJob(ctx: JobContext): Promise<CameraSetting[]> {
  return readCameraSettings(settingsRunner(ctx), ctx.settings.selection);
}

export function writeSettingsJob(
  ctx: JobContext,
  writes: SettingWrite | readonly SettingWrite[],
  known?: readonly CameraSetting[],
): Promise<WriteResult> {
  return writeCameraSettings(settingsRunner(ctx), ctx.settings.selection, writes, known);
}

export function applyLockJob(ctx: JobContext, locked: LockedExposure): Promise<LockCheck> {
  return applyExposureLock(settingsRunner(ctx), ctx.settings.selection, locked);
}
