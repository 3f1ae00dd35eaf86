/**
 * The card as `--list-files` and `--get-file` see it: every file recorded in `card/` (reported to a
 * session and left there, or shot while no session listened). A picture taken with the body's
 * shutter while nothing listened is never announced later (a real body sends no event to a USB
 * session that did not exist when it shot); whoever opens the camera next files it on the card.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { GpContext } from '../cli/gpContext';
import { GpError, GP_ERROR_FILE_NOT_FOUND } from '../cli/gpError';
import { renderRaw } from '../image/rawFile';
import { encodeJpeg, renderStill } from '../image/testCard';
import { getFile } from './captureAction';
import type { CameraFile } from './simCamera';
import { cardDir, keepOnCard, pendingPresses, readPress, removePress } from './shutterPresses';

interface CardRecord {
  folder: string;
  name: string;
  time: number;
}

/**
 * Presses made before `before` (a press file name starts with its monotonic stamp) become pictures
 * on the card, numbered in press order, unannounced. Needs the claim: it numbers images.
 */
export function fileStalePresses(gp: GpContext, before: bigint = process.hrtime.bigint()): void {
  const { camera } = gp;
  for (const name of pendingPresses(camera.dir)) {
    if (BigInt(name.slice(0, name.indexOf('-'))) >= before) break; // sorted: the rest are newer
    const when = readPress(camera.dir, name);
    if (when === undefined) continue;
    for (const f of camera.shoot(when)) keepOnCard(camera.dir, f.folder, f.name, f.mtime);
    removePress(camera.dir, name);
  }
}

function cardRecords(dir: string): CardRecord[] {
  let names: string[];
  try {
    names = fs.readdirSync(cardDir(dir));
  } catch {
    return [];
  }
  const records: CardRecord[] = [];
  for (const n of names) {
    if (!n.endsWith('.json') || n.startsWith('.')) continue;
    try {
      const r = JSON.parse(fs.readFileSync(path.join(cardDir(dir), n), 'utf8')) as Partial<CardRecord>;
      if (typeof r.folder === 'string' && typeof r.name === 'string' && typeof r.time === 'number')
        records.push({ folder: r.folder, name: r.name, time: r.time });
    } catch {
      // A record being replaced right now: skip it this time.
    }
  }
  return records.sort((a, b) => `${a.folder}/${a.name}`.localeCompare(`${b.folder}/${b.name}`));
}

/** The bytes of a card file, made again from its name and time (the test card is deterministic). */
function contentOf(gp: GpContext, r: CardRecord): CameraFile {
  const { captureWidth: w, captureHeight: h, jpegQuality: q, model, rawBytes } = gp.camera.config;
  const stem = r.name.slice(0, r.name.lastIndexOf('.'));
  const mtime = new Date(r.time);
  const n = Number.parseInt(stem.replace(/\D/g, ''), 10) || 1;
  const data = r.name.toUpperCase().endsWith('.NEF')
    ? renderRaw(model, w, h, n, undefined, rawBytes)
    : encodeJpeg(renderStill(w, h, stem, mtime), q);
  return { folder: r.folder, name: r.name, data, mtime };
}

/**
 * --list-files: with --parsable (2.5.28) one `FILENAME='<path>' PERMS=rd FILESIZE=%5llu FILETYPE=
 * FILEMTIME=` line per file; otherwise gphoto2's per-folder listing (list_files_action, actions.c).
 */
export async function listFiles(gp: GpContext, parsable: boolean): Promise<void> {
  const { camera, session } = gp;
  await camera.ensureOpen();
  session.checkpoint();
  fileStalePresses(gp);
  const files = cardRecords(camera.dir).map((r) => contentOf(gp, r));
  const type = (name: string): string => (name.toUpperCase().endsWith('.NEF') ? 'image/x-nikon-nef' : 'image/jpeg');
  const secs = (f: CameraFile): number => Math.floor(f.mtime.getTime() / 1000);
  if (parsable) {
    for (const f of files)
      session.out(
        `FILENAME='${f.folder}/${f.name}' PERMS=rd FILESIZE=${String(f.data.length).padStart(5)} FILETYPE=${type(f.name)} FILEMTIME=${secs(f)}\n`,
      );
    return;
  }
  const folders = ['/', '/store_00010001', '/store_00010001/DCIM', ...new Set(files.map((f) => f.folder))];
  let x = 0;
  for (const folder of folders) {
    const inFolder = files.filter((f) => f.folder === folder);
    if (inFolder.length === 0) session.out(`There is no file in folder '${folder}'.\n`);
    else
      session.out(
        `There ${inFolder.length === 1 ? 'is 1 file' : `are ${inFolder.length} files`} in folder '${folder}'.\n`,
      );
    for (const f of inFolder) {
      x++;
      const kb = String(Math.ceil(f.data.length / 1024)).padStart(5);
      session.out(`#${String(x).padEnd(5)} ${f.name.padEnd(27)}rd ${kb} KB ${type(f.name)} ${secs(f)}\n`);
    }
  }
}

/** --get-file with a camera path: downloads that file (it stays on the card); unknown: -108. */
export async function getCardFile(gp: GpContext, cameraPath: string): Promise<void> {
  const { camera, session } = gp;
  await camera.ensureOpen();
  session.checkpoint();
  fileStalePresses(gp);
  const record = cardRecords(camera.dir).find((r) => `${r.folder}/${r.name}` === cameraPath);
  if (!record) throw new GpError(GP_ERROR_FILE_NOT_FOUND);
  await getFile(gp, contentOf(gp, record));
}
