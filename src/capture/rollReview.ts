/**
 * Reviewing a roll: its frames as files on disk, rejecting a frame (its files move to
 * `rejected/frame-NNNN.K/`, K counting the rejects of that number, so nothing is ever replaced),
 * restoring one, re-shooting one (the next capture takes its number), the roll's details and frame
 * notes, and the XMP sidecars that carry them.
 *
 * Every move is journaled in the roll's state file before it starts (`pending`) and finished at the
 * next open if the window died half-way; link(2)+unlink moves mean a crash leaves a file in one place
 * or both (the same inode), never in neither.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { FilenamePattern } from './fileNaming';
import { exists, placeNoOverwrite } from './fileMoves';
import {
  checkFrameLabel,
  checkFrameNote,
  frameLabel,
  mergeRollDetails,
  RollDetailsError,
  type FrameNote,
  type RollDetails,
} from './rollDetails';
import { readRollState, updateRollState, type PendingMove, type RollState } from './rollState';
import { isSidecarName, renderSidecar, sidecarNamesFor, writeSidecar } from './xmpSidecar';

export const REJECTED_FOLDER = 'rejected';
const REJECTED_NAME = /^frame-(\d+)\.(\d+)$/;

export type ReviewLog = (level: 'info' | 'warn' | 'error', message: string) => void;

/** What the review needs to know of the store's current roll. */
export interface RollContext {
  readonly roll: string;
  /** The roll folder. */
  readonly folder: string;
  readonly pattern: FilenamePattern;
  readonly log: ReviewLog;
}

export interface FrameFiles {
  /** Image file names (RAW+JPEG share the number; a re-shot number adds `_2`... names). */
  images: string[];
  /** Sidecar names of this frame (`x.NEF.xmp`, `x.xmp`). */
  sidecars: string[];
}

export interface RejectedFrame {
  frame: number;
  /** `frame-0005.1`: the first reject of frame 5. */
  folder: string;
  path: string;
  /** Which reject of this number (1, 2...). */
  index: number;
  files: string[];
}

export interface SidecarReport {
  written: string[];
  unchanged: number;
  /** Sidecars another program changed (or wrote): left as they are. */
  kept: string[];
  /** Sidecars that could not be written, with the reason. */
  failed: string[];
}

/** A request the roll cannot honour (no such frame, the number is taken...): the message says why and what to do. */
export class RollEditError extends Error {
  override readonly name = 'RollEditError';
}

export function rejectedRoot(ctx: RollContext): string {
  return path.join(ctx.folder, REJECTED_FOLDER);
}

export function rejectedFolderName(frame: number, index: number): string {
  return `frame-${String(frame).padStart(4, '0')}.${index}`;
}

/** The frame number a sidecar belongs to (`frame-0001.NEF.xmp` and `frame-0001.xmp` both say 1). */
export function sidecarFrame(ctx: RollContext, name: string): number | undefined {
  return ctx.pattern.frameOf(name.slice(0, -'.xmp'.length), ctx.roll) ?? ctx.pattern.frameOf(name, ctx.roll);
}

/** One readdir of the roll folder: every frame's images and sidecars. */
export async function scanRoll(ctx: RollContext): Promise<Map<number, FrameFiles>> {
  const frames = new Map<number, FrameFiles>();
  let names: string[];
  try {
    names = await fs.readdir(ctx.folder);
  } catch {
    return frames;
  }
  const at = (n: number): FrameFiles => {
    let f = frames.get(n);
    if (!f) frames.set(n, (f = { images: [], sidecars: [] }));
    return f;
  };
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    if (isSidecarName(name)) {
      const n = sidecarFrame(ctx, name);
      if (n !== undefined) at(n).sidecars.push(name);
      continue;
    }
    const n = ctx.pattern.frameOf(name, ctx.roll);
    if (n !== undefined) at(n).images.push(name);
  }
  return frames;
}

/** Frame numbers present in `rejected/` (folder names only: cheap, for the counter). */
export async function rejectedNumbers(ctx: RollContext): Promise<Set<number>> {
  const out = new Set<number>();
  let names: string[];
  try {
    names = await fs.readdir(rejectedRoot(ctx));
  } catch {
    return out;
  }
  for (const name of names) {
    const m = REJECTED_NAME.exec(name);
    if (m) out.add(Number(m[1]));
  }
  return out;
}

export async function scanRejected(ctx: RollContext): Promise<RejectedFrame[]> {
  const root = rejectedRoot(ctx);
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  const out: RejectedFrame[] = [];
  for (const name of names) {
    const m = REJECTED_NAME.exec(name);
    if (!m) continue;
    const dir = path.join(root, name);
    let files: string[];
    try {
      files = (await fs.readdir(dir)).filter((f) => !f.startsWith('.')).sort();
    } catch {
      continue;
    }
    if (files.length === 0) continue;
    out.push({ frame: Number(m[1]), folder: name, path: dir, index: Number(m[2]), files });
  }
  return out.sort((a, b) => a.frame - b.frame || a.index - b.index);
}

/**
 * Finishes a reject or restore that a crash interrupted (recorded in the state file before the
 * first file moved): every file ends where the move was taking it. A name found in both places with
 * different content is left in both and reported: nothing is deleted that is not a second link.
 */
export async function completePending(ctx: RollContext): Promise<void> {
  const read = await readRollState(ctx.folder);
  if (read.kind !== 'ok' || !read.state.pending) return;
  const pending = read.state.pending;
  const dir = path.join(rejectedRoot(ctx), pending.folder);
  const [from, to] = pending.op === 'reject' ? [ctx.folder, dir] : [dir, ctx.folder];
  if (pending.op === 'reject') await fs.mkdir(dir, { recursive: true });
  const problems: string[] = [];
  for (const name of pending.files) {
    const src = path.join(from, name);
    const dst = path.join(to, name);
    const s = await fs.lstat(src).catch(() => undefined);
    if (!s) continue;
    const d = await fs.lstat(dst).catch(() => undefined);
    if (!d) {
      if (!(await placeNoOverwrite(src, dst))) problems.push(name);
    } else if (s.ino === d.ino && s.dev === d.dev) await fs.rm(src);
    else if (await sameContent(src, dst)) await fs.rm(src);
    else problems.push(name);
  }
  if (pending.op === 'unreject') await fs.rmdir(dir).catch(() => undefined);
  await updateRollState(ctx.folder, (s) => {
    s.pending = undefined;
  });
  const what = `${pending.op === 'reject' ? 'Rejecting' : 'Restoring'} frame ${pending.frame} of roll "${ctx.roll}"`;
  if (problems.length > 0)
    ctx.log(
      'error',
      `${what} was interrupted and could not be finished for ${problems.join(', ')}: a different file of that name is in both ${from} and ${to}. Both are kept; compare them and keep the one you want.`,
    );
  else ctx.log('warn', `${what} was interrupted (the window closed); finished it now: the files are in ${to}.`);
}

export interface RejectResult {
  frame: number;
  /** Where the files went. */
  folder: string;
  files: string[];
}

/**
 * Moves frame `n`'s files (images and sidecars) to a new `rejected/frame-NNNN.K/`. With `reshoot`,
 * the next capture takes number `n` (recorded in the same write as the journal).
 */
export async function rejectFrame(
  ctx: RollContext,
  n: number,
  options: { reshoot?: boolean } = {},
): Promise<RejectResult | undefined> {
  checkFrameNumber(n);
  const frames = await scanRoll(ctx);
  const files = frames.get(n);
  if (!files || files.images.length === 0) {
    if (options.reshoot) {
      // Already rejected (or captured nowhere yet but rejected before): just wait for the reshoot.
      if ((await rejectedNumbers(ctx)).has(n)) {
        await updateRollState(ctx.folder, (s) => {
          s.reshoot = n;
        });
        return undefined;
      }
    }
    throw new RollEditError(noFrameMessage(ctx, n, frames));
  }
  const names = [...files.images, ...files.sidecars];
  const root = rejectedRoot(ctx);
  await fs.mkdir(root, { recursive: true });
  let index = 1;
  let dir: string;
  for (;;) {
    dir = path.join(root, rejectedFolderName(n, index));
    try {
      await fs.mkdir(dir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      index++;
    }
  }
  const folder = path.basename(dir);
  const pending: PendingMove = { op: 'reject', frame: n, folder, files: names };
  await updateRollState(ctx.folder, (s) => {
    s.pending = pending;
    if (options.reshoot) s.reshoot = n;
  });
  await moveListed(ctx, names, ctx.folder, dir, pending);
  return { frame: n, folder: dir, files: names.map((f) => path.join(dir, f)) };
}

/**
 * Brings a rejected frame back under its number: the latest reject of `n`, or the one in `folder`.
 * Refused while the roll holds frame `n` again (a reshoot) or any of the names. A reshoot of `n`
 * that is still waiting is cancelled.
 */
export async function unrejectFrame(
  ctx: RollContext,
  n: number,
  folder?: string,
): Promise<{ frame: number; files: string[] }> {
  checkFrameNumber(n);
  const entries = (await scanRejected(ctx)).filter((e) => e.frame === n);
  const entry = folder === undefined ? entries.at(-1) : entries.find((e) => e.folder === folder);
  if (!entry) {
    const all = await scanRejected(ctx);
    throw new RollEditError(
      folder === undefined
        ? `Roll "${ctx.roll}" has no rejected frame ${n}${all.length > 0 ? ` (rejected: ${[...new Set(all.map((e) => e.frame))].join(', ')})` : ' (nothing is rejected)'}.`
        : `Roll "${ctx.roll}" has no ${path.join(REJECTED_FOLDER, folder)} holding frame ${n}${entries.length > 0 ? `; frame ${n} was rejected into ${entries.map((e) => e.folder).join(', ')}` : ''}.`,
    );
  }
  const frames = await scanRoll(ctx);
  const current = frames.get(n);
  if (current && current.images.length > 0)
    throw new RollEditError(
      `Frame ${n} of roll "${ctx.roll}" is taken by ${current.images.join(', ')} (a reshoot), so the rejected one cannot go back under its number. Reject the current frame ${n} first, then restore; nothing was moved.`,
    );
  for (const name of entry.files)
    if (await exists(path.join(ctx.folder, name)))
      throw new RollEditError(
        `Cannot restore frame ${n}: the roll already has a file named ${name}. Move or rename it, then restore again; nothing was moved.`,
      );
  const pending: PendingMove = { op: 'unreject', frame: n, folder: entry.folder, files: entry.files };
  await updateRollState(ctx.folder, (s) => {
    s.pending = pending;
    if (s.reshoot === n) s.reshoot = undefined;
  });
  await moveListed(ctx, entry.files, entry.path, ctx.folder, pending);
  await fs.rmdir(entry.path).catch(() => undefined);
  return { frame: n, files: entry.files.map((f) => path.join(ctx.folder, f)) };
}

/** Moves the journaled files; on a clash (a file appeared at the target) puts back what moved and throws. */
async function moveListed(
  ctx: RollContext,
  names: readonly string[],
  from: string,
  to: string,
  pending: PendingMove,
): Promise<void> {
  const moved: string[] = [];
  try {
    for (const name of names) {
      if (!(await placeNoOverwrite(path.join(from, name), path.join(to, name))))
        throw new RollEditError(
          `${path.join(to, name)} appeared while frame ${pending.frame} was being moved; it was not replaced and nothing was moved.`,
        );
      moved.push(name);
    }
  } catch (err) {
    for (const name of moved.reverse())
      await placeNoOverwrite(path.join(to, name), path.join(from, name)).catch(() => false);
    await updateRollState(ctx.folder, (s) => {
      s.pending = undefined;
      if (pending.op === 'reject' && s.reshoot === pending.frame) s.reshoot = undefined;
    });
    if (pending.op === 'reject') await fs.rmdir(to).catch(() => undefined);
    throw err;
  }
  await updateRollState(ctx.folder, (s) => {
    s.pending = undefined;
  });
}

export async function setRollDetails(ctx: RollContext, patch: unknown): Promise<RollDetails> {
  // Checked before the state is touched: a bad field changes nothing.
  const current = await readState(ctx);
  mergeRollDetails(current.details, patch);
  return updateRollState(ctx.folder, (s) => {
    s.details = mergeRollDetails(s.details, patch);
    return s.details;
  });
}

/** `note`/`label`: a value sets it, null or "" removes it, undefined leaves it. */
export async function setFrameNote(
  ctx: RollContext,
  n: number,
  change: { note?: unknown; label?: unknown },
): Promise<FrameNote> {
  checkFrameNumber(n);
  const note =
    change.note === undefined || change.note === null || change.note === '' ? change.note : checkFrameNote(change.note);
  const label =
    change.label === undefined || change.label === null || change.label === ''
      ? change.label
      : checkFrameLabel(change.label);
  const frames = await scanRoll(ctx);
  if (!frames.get(n)?.images.length && !(await rejectedNumbers(ctx)).has(n))
    throw new RollEditError(noFrameMessage(ctx, n, frames));
  return updateRollState(ctx.folder, (s) => {
    const entry: FrameNote = { ...s.frames.get(n) };
    if (note !== undefined) {
      if (typeof note === 'string') entry.note = note;
      else delete entry.note;
    }
    if (label !== undefined) {
      if (typeof label === 'string') entry.label = label;
      else delete entry.label;
    }
    if (entry.note === undefined && entry.label === undefined) s.frames.delete(n);
    else s.frames.set(n, entry);
    return entry;
  });
}

export async function readState(ctx: RollContext): Promise<RollState> {
  const read = await readRollState(ctx.folder);
  if (read.kind === 'ok') return read.state;
  return { details: {}, frames: new Map(), extra: {} };
}

/** Sidecars are written once the roll has something to say: details, or a frame's note or label. */
export function wantsSidecars(state: RollState): boolean {
  return Object.keys(state.details).length > 0 || state.frames.size > 0;
}

/**
 * (Re)writes the sidecars of the given frames (all frames of the roll when left out), from the state
 * as it is now. A sidecar another program changed is kept and reported, never overwritten.
 */
export async function writeSidecars(
  ctx: RollContext,
  only?: readonly number[],
  known?: { state?: RollState; frames?: Map<number, FrameFiles> },
): Promise<SidecarReport> {
  const report: SidecarReport = { written: [], unchanged: 0, kept: [], failed: [] };
  const state = known?.state ?? (await readState(ctx));
  if (!wantsSidecars(state)) return report;
  const frames = known?.frames ?? (await scanRoll(ctx));
  const numbers = only ?? [...frames.keys()].sort((a, b) => a - b);
  const jobs: { file: string; text: string }[] = [];
  for (const n of numbers) {
    const files = frames.get(n);
    if (!files || files.images.length === 0) continue;
    const note = state.frames.get(n);
    const text = renderSidecar({
      roll: ctx.roll,
      frame: n,
      label: frameLabel(n, state.details, note),
      note: note?.note,
      details: state.details,
    });
    for (const name of sidecarNamesFor(files.images)) jobs.push({ file: path.join(ctx.folder, name), text });
  }
  // A few at a time: a 1,000-frame roll has 3,000 sidecars, and the disk is shared with captures.
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++];
      try {
        const r = await writeSidecar(job.file, job.text);
        if (r === 'written') report.written.push(job.file);
        else if (r === 'unchanged') report.unchanged++;
        else report.kept.push(job.file);
      } catch (err) {
        report.failed.push(`${job.file}: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  if (report.kept.length > 0)
    ctx.log(
      'info',
      `Left ${report.kept.length} sidecar(s) of roll "${ctx.roll}" as they are, because another program changed them (e.g. darktable's edits): ${report.kept.map((f) => path.basename(f)).join(', ')}.`,
    );
  if (report.failed.length > 0)
    ctx.log(
      'warn',
      `Could not write ${report.failed.length} sidecar(s) of roll "${ctx.roll}": ${report.failed.join('; ')}`,
    );
  return report;
}

function checkFrameNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 999_999)
    throw new RollDetailsError(`The frame must be a whole number from 1 to 999999 (got ${String(n)}).`, 'frame');
}

function noFrameMessage(ctx: RollContext, n: number, frames: Map<number, FrameFiles>): string {
  const have = [...frames.entries()].filter(([, f]) => f.images.length > 0).map(([k]) => k);
  const range = have.length === 0 ? 'it has no frames yet' : `its frames are ${describeNumbers(have)}`;
  return `Roll "${ctx.roll}" has no frame ${n} (${range}).`;
}

function describeNumbers(ns: number[]): string {
  const sorted = [...ns].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    runs.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return runs.length > 6 ? `${runs.slice(0, 3).join(', ')} ... ${runs.slice(-2).join(', ')}` : runs.join(', ');
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
  if (sa.size !== sb.size) return false;
  const [ba, bb] = await Promise.all([fs.readFile(a), fs.readFile(b)]);
  return ba.equals(bb);
}

/** Test captures (their own strip): files grouped by name stem (RAW+JPEG of one test share it), oldest first. */
export async function scanTestCaptures(folder: string): Promise<{ stem: string; images: string[] }[]> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return [];
  }
  const groups = new Map<string, string[]>();
  for (const name of names.sort()) {
    if (name.startsWith('.') || isSidecarName(name)) continue;
    const dot = name.lastIndexOf('.');
    if (dot <= 0) continue;
    const stem = name.slice(0, dot);
    groups.set(stem, [...(groups.get(stem) ?? []), name]);
  }
  return [...groups.entries()].map(([stem, images]) => ({ stem, images }));
}
