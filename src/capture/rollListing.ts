/**
 * What the output folder holds, for the Rolls view: the rolls (newest first) and, per roll, its
 * frames (highest number first; the files of one exposure, RAW+JPEG, together). Read-only: it
 * never creates, moves or deletes anything. Folders that are not rolls (test captures, recovered
 * files, staging, anything hidden or not a usable roll name) are left out.
 */
import { promises as fs, type Dirent } from 'fs';
import * as path from 'path';
import { checkRollName, type FilenamePattern } from './fileNaming';

export interface RollSummary {
  name: string;
  folder: string;
  /** Distinct exposures in the roll (files sharing a name stem count once). */
  frames: number;
  /** The roll folder's last change (a file added, moved or removed), in ms since the epoch. */
  changedMs: number;
  current: boolean;
}

export interface FrameFile {
  name: string;
  path: string;
  bytes: number;
  modifiedMs: number;
}

export interface FrameEntry {
  frame: number;
  /** The name without extension that the exposure's files share (`frame-0012`, or `frame-0012_2` for a re-shot one). */
  stem: string;
  files: FrameFile[];
  modifiedMs: number;
}

/** Folder names directly under the output folder that are never rolls. */
export interface NotRolls {
  readonly names: readonly string[];
}

/** The rolls in `outputFolder`, newest change first; the current roll is always listed (it may not exist yet). */
export async function listRolls(
  outputFolder: string,
  pattern: FilenamePattern,
  currentRoll: string,
  notRolls: NotRolls,
): Promise<RollSummary[]> {
  let entries: Dirent[];
  try {
    entries = await fs.readdir(outputFolder, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    entries = [];
  }
  const rolls: RollSummary[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory() || notRolls.names.includes(entry.name) || !isRollName(entry.name)) continue;
    const folder = path.join(outputFolder, entry.name);
    const st = await fs.stat(folder).catch(() => undefined);
    if (!st) continue; // removed meanwhile
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    rolls.push({
      name: entry.name,
      folder,
      frames: new Set([...stems(names, pattern, entry.name).values()].map((s) => s.stem)).size,
      changedMs: st.mtimeMs,
      current: entry.name === currentRoll,
    });
  }
  if (!rolls.some((r) => r.current))
    rolls.push({
      name: currentRoll,
      folder: path.join(outputFolder, currentRoll),
      frames: 0,
      changedMs: 0,
      current: true,
    });
  return rolls.sort((a, b) => b.changedMs - a.changedMs || a.name.localeCompare(b.name));
}

/** The exposures in a roll folder, highest frame number first (a re-shot `_2` above the first take). */
export async function listFrames(folder: string, roll: string, pattern: FilenamePattern): Promise<FrameEntry[]> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const byStem = new Map<string, FrameEntry>();
  for (const [name, { frame, stem }] of stems(names, pattern, roll)) {
    const file = path.join(folder, name);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile()) continue;
    let entry = byStem.get(stem);
    if (!entry) {
      entry = { frame, stem, files: [], modifiedMs: 0 };
      byStem.set(stem, entry);
    }
    entry.files.push({ name, path: file, bytes: st.size, modifiedMs: st.mtimeMs });
    entry.modifiedMs = Math.max(entry.modifiedMs, st.mtimeMs);
  }
  const frames = [...byStem.values()];
  for (const f of frames) f.files.sort((a, b) => a.name.localeCompare(b.name));
  return frames.sort((a, b) => b.frame - a.frame || b.stem.localeCompare(a.stem, undefined, { numeric: true }));
}

/** File name -> its frame number and name stem, for the files of the roll that the pattern names. */
function stems(
  names: readonly string[],
  pattern: FilenamePattern,
  roll: string,
): Map<string, { frame: number; stem: string }> {
  const found = new Map<string, { frame: number; stem: string }>();
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const frame = pattern.frameOf(name, roll);
    if (frame === undefined) continue;
    found.set(name, { frame, stem: name.slice(0, name.length - path.extname(name).length) });
  }
  return found;
}

function isRollName(name: string): boolean {
  try {
    return checkRollName(name) === name;
  } catch {
    return false;
  }
}
