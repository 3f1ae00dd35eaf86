/**
 * The settings jobs, written against an injected gphoto2 runner so the queue (one gphoto2 at a
 * time, cleanup, timeouts) stays the queue's business:
 *
 * - `readCameraSettings`: the whole configuration in ONE run (`--list-all-config`).
 * - `writeCameraSettings`: several writes in one run, each read back in that same run.
 * - the exposure lock: `lockedExposure` (what to keep), `withExposureLock` (configArgs.ts: the
 *   capture's argv with the writes and read-backs in front), `checkExposureLock` (was every value
 *   in place?), `applyExposureLock` (a run of its own: correct a bumped dial).
 */
import { CameraError, isCameraError } from '../errors';
import { classifyOutcome, selectionArgs, type CameraSelection } from '../gphoto2';
import { parseConfigListing, parseGetConfigBlocks, parseGNumber, type ConfigWidget } from './configParser';
import {
  describeAllowed,
  planWrites,
  readAllSettingsArgs,
  setThenGetArgs,
  writeSettingsArgs,
  type PlannedWrite,
  type SettingWrite,
} from './configArgs';
import { setConfigMessages, type SetConfigMessage } from './configMessages';
import { EXPOSURE_ROLES, type SettingRole } from './roles';
import { settingsFromWidgets, type CameraSetting } from './settings';

export interface Gphoto2RunResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/**
 * Runs gphoto2 with `args` (the program, environment, timeout and cancel are the runner's).
 * It may resolve with any run that ran to its end, whatever the exit code (best: these jobs then
 * read gphoto2's own words and the read-back), or throw a typed CameraError for a failed run, as
 * the queue's runner does (then a settings refusal is recovered from the error's stderr tail).
 */
export type RunGphoto2 = (label: string, args: string[]) => Promise<Gphoto2RunResult>;

export interface AppliedSetting {
  name: string;
  path: string;
  /** What the camera reads back after the write. */
  value: string;
  /** What was asked for. */
  requested: string;
  role?: SettingRole;
}

export interface WriteResult {
  /** One entry per setting written, with the value read back. */
  applied: AppliedSetting[];
  /** The settings given (or read), with the written ones updated to their read-back values. */
  settings: CameraSetting[];
}

const READ_LABEL = 'Read camera settings';
const WRITE_LABEL = 'Change camera settings';
const LOCK_LABEL = 'Apply the locked exposure';

function throwIfFailed(r: Gphoto2RunResult, job: string): void {
  if (r.exitCode === 0) return;
  const error = classifyOutcome(
    { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? undefined, timedOut: false, cancelled: false },
    { job, command: 'gphoto2', timeoutMs: 0 },
  );
  if (error) throw error;
  throw new CameraError('failed', `${job} failed: gphoto2 exited with code ${r.exitCode}. See the log for its output.`);
}

/** Every setting the camera reports, read in one gphoto2 run. */
export async function readCameraSettings(run: RunGphoto2, selection: CameraSelection): Promise<CameraSetting[]> {
  const r = await run(READ_LABEL, readAllSettingsArgs(selection));
  throwIfFailed(r, READ_LABEL);
  const settings = settingsFromWidgets(parseConfigListing(r.stdout));
  if (settings.length === 0) {
    throw new CameraError(
      'badOutput',
      `${READ_LABEL} failed: gphoto2 --list-all-config listed no settings. The camera may not support remote control (check its USB mode: PTP/PC remote), or the gphoto2 path setting points elsewhere.`,
      {},
      ['showLog', 'openSettings'],
    );
  }
  return settings;
}

/**
 * Writes one or several settings (by name, path or role) in ONE gphoto2 run, reads each back in the
 * same run, and resolves with what the camera took. `known`: the settings from the last read (the
 * names, types and choices to plan with); without it they are read first (one more run).
 * Rejects with a `cameraSetting` CameraError for an unknown name, a value refused before or by the
 * camera (naming the setting, the value and the allowed values), or a read-back that differs;
 * `details.cameraSetting.applied` then lists the writes of that run that did take effect.
 */
export async function writeCameraSettings(
  run: RunGphoto2,
  selection: CameraSelection,
  writes: SettingWrite | readonly SettingWrite[],
  known?: readonly CameraSetting[],
): Promise<WriteResult> {
  const list = Array.isArray(writes) ? (writes as readonly SettingWrite[]) : [writes as SettingWrite];
  if (list.length === 0) return { applied: [], settings: [...(known ?? [])] };
  const settings = known ? [...known] : await readCameraSettings(run, selection);
  const plans = planWrites(settings, list);
  const r = await settledRun(run, WRITE_LABEL, writeSettingsArgs(selection, plans));
  throwIfNothingAboutSettings(r, plans, WRITE_LABEL);
  const judged = judgeWrites(plans, r);
  if (judged.failures.length > 0) {
    const first = judged.failures[0];
    throw withApplied(first, judged.applied);
  }
  const byPath = new Map(judged.applied.map((a) => [a.path, a]));
  return {
    applied: judged.applied,
    settings: settings.map((s) => {
      const a = byPath.get(s.path);
      return a ? { ...s, value: a.value } : s;
    }),
  };
}

/**
 * A run that printed no read-back and no word about any setting failed as a whole (no camera, the
 * camera busy or held by another program): that error, not one per setting.
 */
function throwIfNothingAboutSettings(r: Gphoto2RunResult, plans: readonly PlannedWrite[], job: string): void {
  if (parseGetConfigBlocks(r.stdout).length > 0) return;
  const messages = setConfigMessages(r.stderr);
  if (plans.some((p) => messagesFor(p, messages, plans).length > 0)) return;
  throwIfFailed(r, job);
}

function withApplied(error: CameraError, applied: AppliedSetting[]): CameraError {
  const problem = error.details.cameraSetting;
  if (!problem || applied.length === 0) return error;
  const also = ` (The other setting${applied.length === 1 ? ' was' : 's were'} applied: ${applied.map((a) => `${a.name} = ${a.value}`).join(', ')}.)`;
  return new CameraError(
    error.kind,
    `${error.message}${also}`,
    {
      ...error.details,
      cameraSetting: { ...problem, applied: applied.map((a) => ({ name: a.name, value: a.value })) },
    },
    [...error.actions],
  );
}

/**
 * A runner that throws on any gphoto2 error text (the queue's) never shows the read-back of a run
 * in which one write was refused: gphoto2 exits 0 but prints the refusal. Such an error still holds
 * gphoto2's last stderr lines; they are judged like a finished run's stderr (without read-back).
 * Errors that are not gphoto2's words (busy, timeout, cancelled, not found) pass through.
 */
async function settledRun(run: RunGphoto2, label: string, args: string[]): Promise<Gphoto2RunResult> {
  try {
    return await run(label, args);
  } catch (err) {
    if (!isCameraError(err) || err.kind !== 'failed' || !err.details.stderrTail) throw err;
    const messages = setConfigMessages(err.details.stderrTail);
    if (!messages.some((m) => m.kind !== 'other')) throw err;
    return { stdout: '', stderr: err.details.stderrTail, exitCode: err.details.exitCode ?? null };
  }
}

/** A set-then-get run judged: the writes that took, and one typed error per write that did not. */
export interface Judged {
  applied: AppliedSetting[];
  failures: CameraError[];
}

/** The read-back blocks matched to the plans, in order, by label (a failed `--get-config` prints none). */
function matchReadBacks(plans: readonly PlannedWrite[], stdout: string): Array<ConfigWidget | undefined> {
  const blocks = parseGetConfigBlocks(stdout);
  const out: Array<ConfigWidget | undefined> = [];
  let next = 0;
  for (const p of plans) {
    let found: ConfigWidget | undefined;
    for (let k = next; k < blocks.length; k++) {
      if (blocks[k].label === p.label) {
        found = blocks[k];
        next = k + 1;
        break;
      }
    }
    out.push(found);
  }
  return out;
}

/** The messages that are about this write (by the name we passed, its label, or its value). */
function messagesFor(
  p: PlannedWrite,
  messages: readonly SetConfigMessage[],
  plans: readonly PlannedWrite[],
): SetConfigMessage[] {
  const sameType = plans.filter((q) => q.type === p.type).length;
  return messages.filter((m) => {
    switch (m.kind) {
      case 'failedSet':
        return m.name === p.cliName && m.value === p.argument;
      case 'propertyNotFound':
      case 'readOnlyWidget':
      case 'noIndex':
      case 'notConfigurable':
      case 'widgetSetFailed':
        return m.name === p.cliName;
      case 'notInTree':
        return m.name === p.cliName || p.cliName.startsWith(`${m.name}/`);
      case 'readOnlyProperty':
      case 'notSet':
      case 'parseFailed':
        return m.label === p.label;
      case 'noSuchChoice':
        return p.option === 'index' && m.value === p.argument;
      case 'outOfRange': {
        const n = parseGNumber(p.argument);
        return p.type === 'range' && (sameType === 1 || (n !== undefined && Math.abs(n - m.value) < 1e-3));
      }
      case 'notANumber':
        return p.type === 'range' && m.value === p.argument;
      case 'notAToggle':
        return p.type === 'toggle' && m.value === p.argument;
      case 'notATime':
        return p.type === 'date' && m.value === p.argument;
      case 'other':
        return false;
    }
  });
}

/** Does the read-back show what was asked for? */
function readBackMatches(p: PlannedWrite, w: ConfigWidget): boolean {
  if (w.unset) return false;
  if (p.expected === undefined) {
    if (p.type === 'date') return true;
    // A value not in the list is taken as the camera rounded it, unless nothing moved at all: a
    // write by path is refused silently (recorded: vcamera-set-config-value-by-path-silent).
    return w.current !== '' && (w.current !== p.before || p.requested === p.before);
  }
  if (p.type === 'toggle' || p.type === 'range') {
    const got = parseGNumber(w.current);
    const want = Number(p.expected);
    return got !== undefined && Math.abs(got - want) <= (p.tolerance ?? 0);
  }
  return w.current === p.expected;
}

function settingProblem(
  p: PlannedWrite,
  problem: 'unknown' | 'refused' | 'readOnly' | 'mismatch',
  extra: { readBack?: string; cameraSaid?: string[] },
): NonNullable<CameraError['details']['cameraSetting']> {
  return {
    problem,
    name: p.name,
    path: p.path,
    value: p.requested,
    ...(p.choices ? { choices: p.choices } : {}),
    ...(p.min !== undefined ? { min: p.min } : {}),
    ...(p.max !== undefined ? { max: p.max } : {}),
    ...(extra.readBack !== undefined ? { readBack: extra.readBack } : {}),
    ...(extra.cameraSaid && extra.cameraSaid.length > 0 ? { cameraSaid: extra.cameraSaid } : {}),
  };
}

function said(ms: readonly SetConfigMessage[]): string {
  return ms.length === 0 ? '' : ` (gphoto2: "${ms.map((m) => m.text).join(' ')}")`;
}

/** Turns a finished set-then-get run into applied values and typed failures, one per write. */
export function judgeWrites(plans: readonly PlannedWrite[], r: Pick<Gphoto2RunResult, 'stdout' | 'stderr'>): Judged {
  const messages = setConfigMessages(r.stderr);
  const readBacks = matchReadBacks(plans, r.stdout);
  const applied: AppliedSetting[] = [];
  const failures: CameraError[] = [];
  plans.forEach((p, i) => {
    const mine = messagesFor(p, messages, plans);
    const texts = mine.map((m) => m.text);
    const back = readBacks[i];
    // With a refusal printed, only an exact read-back counts (the value may simply have been there
    // already); without one, a value not in the list is whatever the camera rounded it to.
    const took = back !== undefined && readBackMatches(p, back) && (mine.length === 0 || p.expected !== undefined);
    if (took) {
      applied.push({
        name: p.name,
        path: p.path,
        value: back.current,
        requested: p.requested,
        ...(p.role ? { role: p.role } : {}),
      });
      return;
    }
    const shownBack = back ? (back.unset ? '(no value: gphoto2 printed "(null)")' : `"${back.current}"`) : undefined;
    if (mine.some((m) => m.kind === 'notInTree')) {
      failures.push(
        new CameraError(
          'cameraSetting',
          `The camera has no setting "${p.cliName}"${said(mine)}. Read the settings again: the camera may have changed mode.`,
          {
            cameraSetting: settingProblem(p, 'unknown', { cameraSaid: texts }),
          },
        ),
      );
      return;
    }
    if (mine.some((m) => m.kind === 'readOnlyProperty' || m.kind === 'readOnlyWidget')) {
      failures.push(
        new CameraError(
          'cameraSetting',
          `${p.label} (${p.name}) cannot be set to "${p.requested}": the camera reports it read-only right now${said(mine)}. If the mode dial decides it (P, A, S or an automatic mode), turn it to M.${shownBack ? ` It stays ${shownBack}.` : ''}`,
          { cameraSetting: settingProblem(p, 'readOnly', { readBack: back?.current, cameraSaid: texts }) },
        ),
      );
      return;
    }
    if (mine.length > 0) {
      failures.push(
        new CameraError(
          'cameraSetting',
          `The camera refused ${p.label} (${p.name}) = "${p.requested}"${said(mine)}. Allowed: ${describeAllowed(p)}.${shownBack ? ` It stays ${shownBack}.` : ''}`,
          { cameraSetting: settingProblem(p, 'refused', { readBack: back?.current, cameraSaid: texts }) },
        ),
      );
      return;
    }
    if (!back) {
      failures.push(
        new CameraError(
          'cameraSetting',
          `${p.label} (${p.name}) was written but gphoto2 did not report its value afterwards, so Camera Tether cannot tell whether the camera took "${p.requested}". Read the settings again; see the log for gphoto2's output.`,
          { cameraSetting: settingProblem(p, 'mismatch', {}) },
        ),
      );
      return;
    }
    failures.push(
      new CameraError(
        'cameraSetting',
        `The camera did not take ${p.label} (${p.name}) = "${p.requested}": it reads back ${shownBack}. Allowed: ${describeAllowed(p)}.`,
        {
          cameraSetting: settingProblem(p, back.unset || p.expected === undefined ? 'refused' : 'mismatch', {
            readBack: back.current,
          }),
        },
      ),
    );
  });
  return { applied, failures };
}

// ------------------------------------------------------------------ the exposure lock for a roll

/** The values a roll keeps, resolved once when the lock is taken (JSON-able: store it with the roll). */
export type LockedExposure = PlannedWrite[];

/**
 * What to lock: the current value of each exposure role the camera has and lets us set (ISO,
 * shutter, aperture, exposure compensation, white balance). Read-only ones (the dial decides them)
 * are left out and listed in `skipped`.
 */
export function lockedExposure(
  settings: readonly CameraSetting[],
  roles: readonly SettingRole[] = EXPOSURE_ROLES,
): { locked: LockedExposure; skipped: CameraSetting[] } {
  const writes: SettingWrite[] = [];
  const skipped: CameraSetting[] = [];
  for (const role of roles) {
    const s = settings.find((x) => x.role === role);
    if (!s) continue;
    if (s.readonly || s.value === '') skipped.push(s);
    else writes.push({ name: s.path, value: s.value });
  }
  return { locked: planWrites(settings, writes), skipped };
}

export interface LockCheck {
  /** Every locked value was written and read back as locked. */
  ok: boolean;
  /** Per locked value, what the camera read back. */
  values: Array<{ name: string; path: string; locked: string; readBack?: string; ok: boolean }>;
  /** The first problem, as a typed error (for the log and the user). */
  error?: CameraError;
}

/**
 * Checks the read-backs of a run built with `withExposureLock` (or `applyExposureLock`): the
 * `--get-config` blocks are found among the capture's own lines. gphoto2 captures even when a write
 * was refused, so a failed check means the frame may not have the locked exposure.
 */
export function checkExposureLock(locked: LockedExposure, r: Pick<Gphoto2RunResult, 'stdout' | 'stderr'>): LockCheck {
  const judged = judgeWrites(locked, r);
  const readBacks = matchReadBacks(locked, r.stdout);
  const okPaths = new Set(judged.applied.map((a) => a.path));
  const values = locked.map((p, i) => ({
    name: p.name,
    path: p.path,
    locked: p.requested,
    ...(readBacks[i] ? { readBack: readBacks[i]?.current } : {}),
    ok: okPaths.has(p.path),
  }));
  const ok = judged.failures.length === 0;
  return ok ? { ok, values } : { ok, values, error: judged.failures[0] };
}

/** The locked values written and read back in a run of their own (before a capture, or to correct one). */
export async function applyExposureLock(
  run: RunGphoto2,
  selection: CameraSelection,
  locked: LockedExposure,
): Promise<LockCheck> {
  if (locked.length === 0) return { ok: true, values: [] };
  const r = await settledRun(run, LOCK_LABEL, [...selectionArgs(selection), ...setThenGetArgs(locked)]);
  throwIfNothingAboutSettings(r, locked, LOCK_LABEL);
  return checkExposureLock(locked, r);
}
