/**
 * The roll's own file, `.camera-tether-roll.json` in the roll folder: the frame counter the user set
 * (`nextFrame`), the roll details and per-frame notes, a reshoot waiting for its capture, the
 * exposure the roll is locked to, and the
 * journal of a reject or restore under way (so a crash half-way is finished at the next open). Every
 * change is a read-modify-write, serialised per folder in this process and written atomically
 * (temp file + rename), so a counter update never wipes the details and vice versa.
 */
import { randomUUID } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { readStoredExposureLock, type StoredExposureLock } from './exposureLockRecord';
import { checkFrameLabel, checkFrameNote, readRollDetails, type FrameNote, type RollDetails } from './rollDetails';

export const ROLL_STATE_FILE = '.camera-tether-roll.json';

/** A move of one frame's files between the roll and a `rejected/` subfolder, recorded before it starts. */
export interface PendingMove {
  op: 'reject' | 'unreject';
  frame: number;
  /** The subfolder of `rejected/` (its name). */
  folder: string;
  /** The file names moved: the same in the roll and in the subfolder. */
  files: string[];
}

export interface RollState {
  /** As written (the store checks it and says why it ignores a bad one); absent: no counter set. */
  nextFrame?: unknown;
  details: RollDetails;
  frames: Map<number, FrameNote>;
  /** The frame the next capture re-takes (its old files are in rejected/). */
  reshoot?: number;
  pending?: PendingMove;
  /** The exposure every capture of the roll is taken at (see exposureLockRecord.ts). */
  exposureLock?: StoredExposureLock;
  /** Keys a newer version wrote, kept as they are. */
  extra: Record<string, unknown>;
}

export type RollStateRead =
  | { kind: 'missing' }
  | { kind: 'broken'; problem: string }
  | {
      kind: 'ok';
      state: RollState;
      /** Parts that were ignored, and why. */
      problems: string[];
      /** Written by a version that keeps more than the counter here (so a missing nextFrame is normal). */
      structured: boolean;
    };

const KNOWN = new Set(['version', 'nextFrame', 'details', 'frames', 'reshoot', 'pending', 'exposureLock']);

export function emptyRollState(): RollState {
  return { details: {}, frames: new Map(), extra: {} };
}

export async function readRollState(folder: string): Promise<RollStateRead> {
  let text: string;
  try {
    text = await fs.readFile(path.join(folder, ROLL_STATE_FILE), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    return { kind: 'broken', problem: `it cannot be read (${(err as Error).message})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { kind: 'broken', problem: 'it is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { kind: 'broken', problem: 'it is not a JSON object' };
  const raw = parsed as Record<string, unknown>;
  const problems: string[] = [];
  const state = emptyRollState();
  if ('nextFrame' in raw) state.nextFrame = raw.nextFrame;
  const details = readRollDetails(raw.details);
  state.details = details.details;
  problems.push(...details.problems.map((p) => `details: ${p}`));
  if (raw.frames !== undefined) {
    if (typeof raw.frames === 'object' && raw.frames !== null && !Array.isArray(raw.frames)) {
      for (const [key, value] of Object.entries(raw.frames)) {
        const n = Number(key);
        const note = readFrameNote(value);
        if (!/^[1-9]\d*$/.test(key) || !note) problems.push(`frames: entry "${key}" is not a frame's note and label`);
        else state.frames.set(n, note);
      }
    } else problems.push('frames is not an object');
  }
  if (raw.reshoot !== undefined) {
    if (isFrameNumber(raw.reshoot)) state.reshoot = raw.reshoot;
    else problems.push(`reshoot is ${JSON.stringify(raw.reshoot)}, not a frame number`);
  }
  if (raw.pending !== undefined) {
    const pending = readPending(raw.pending);
    if (pending) state.pending = pending;
    else problems.push('pending is not a move Camera Tether wrote');
  }
  if (raw.exposureLock !== undefined) {
    const lock = readStoredExposureLock(raw.exposureLock);
    if ('lock' in lock) state.exposureLock = lock.lock;
    else {
      problems.push(`exposureLock is ignored: ${lock.problem}`);
      // Kept as written (a hand edit is not thrown away by the next counter update).
      state.extra.exposureLock = raw.exposureLock;
    }
  }
  for (const [key, value] of Object.entries(raw)) if (!KNOWN.has(key)) state.extra[key] = value;
  const structured = ['version', 'details', 'frames', 'reshoot', 'pending', 'exposureLock'].some((k) => k in raw);
  return { kind: 'ok', state, problems, structured };
}

const queues = new Map<string, Promise<unknown>>();

/**
 * Applies `change` to the roll's state and writes it; one change at a time per folder. A file that
 * cannot be parsed is kept beside as `.camera-tether-roll.broken-<time>.json` before it is replaced.
 */
export function updateRollState<T>(folder: string, change: (state: RollState) => T | Promise<T>): Promise<T> {
  const key = path.resolve(folder);
  const run = (queues.get(key) ?? Promise.resolve()).then(async () => {
    const read = await readRollState(folder);
    let state: RollState;
    if (read.kind === 'ok') state = read.state;
    else {
      if (read.kind === 'broken') await keepBroken(folder);
      state = emptyRollState();
    }
    const result = await change(state);
    await writeRollState(folder, state);
    return result;
  });
  const settled = run.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

async function writeRollState(folder: string, state: RollState): Promise<void> {
  const frames: Record<string, FrameNote> = {};
  for (const n of [...state.frames.keys()].sort((a, b) => a - b)) {
    const note = state.frames.get(n);
    if (note && (note.note !== undefined || note.label !== undefined)) frames[String(n)] = note;
  }
  const out: Record<string, unknown> = {
    ...state.extra,
    version: 1,
    ...(state.nextFrame !== undefined ? { nextFrame: state.nextFrame } : {}),
    details: state.details,
    frames,
    ...(state.reshoot !== undefined ? { reshoot: state.reshoot } : {}),
    ...(state.pending ? { pending: state.pending } : {}),
    ...(state.exposureLock ? { exposureLock: state.exposureLock } : {}),
  };
  await writeFileAtomic(path.join(folder, ROLL_STATE_FILE), `${JSON.stringify(out, null, 2)}\n`);
}

export async function writeFileAtomic(file: string, content: string | Buffer): Promise<void> {
  // A unique temp name: two writes at once must not share (and rename away) one temp file.
  const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await fs.writeFile(tmp, content);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

async function keepBroken(folder: string): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = path.join(folder, `.camera-tether-roll.broken-${stamp}-${randomUUID().slice(0, 6)}.json`);
  await fs.copyFile(path.join(folder, ROLL_STATE_FILE), target).catch(() => undefined);
}

function readFrameNote(value: unknown): FrameNote | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const note: FrameNote = {};
  try {
    if (v.note !== undefined) note.note = checkFrameNote(v.note);
    if (v.label !== undefined) note.label = checkFrameLabel(v.label);
  } catch {
    return undefined;
  }
  return note;
}

function readPending(value: unknown): PendingMove | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (
    (v.op !== 'reject' && v.op !== 'unreject') ||
    !isFrameNumber(v.frame) ||
    typeof v.folder !== 'string' ||
    !/^[^/\\]+$/.test(v.folder) ||
    v.folder.startsWith('.') ||
    !Array.isArray(v.files) ||
    !v.files.every((f) => typeof f === 'string' && /^[^/\\]+$/.test(f) && !f.startsWith('.'))
  )
    return undefined;
  return { op: v.op, frame: v.frame, folder: v.folder, files: v.files as string[] };
}

function isFrameNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 999_999;
}
