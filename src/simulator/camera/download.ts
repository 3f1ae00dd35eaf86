/**
 * Saving a camera file on the computer the way gphoto2's save_camera_file_to_file() does: name it
 * from --filename, skip or ask before overwriting (reading the answer from stdin), create the
 * folders, then write it. The bytes go straight to the target in chunks spread over transferMs, so
 * a process killed mid-transfer leaves a truncated file behind.
 */
import * as fs from 'fs';
import * as path from 'path';
import { expandPattern, thumbName } from '../cli/filenamePattern';
import type { GpContext } from '../cli/gpContext';
import { GpError, GP_ERROR, GP_ERROR_BAD_PARAMETERS } from '../cli/gpError';
import { CancelledError } from '../cli/session';
import type { Session } from '../cli/session';
import { readLine } from '../cli/stdinLines';

export type FileKind = 'normal' | 'preview';

export interface CameraFileRef {
  folder: string;
  name: string;
  data: Buffer;
  mtime: Date;
}

/** Throws GpError on failure (an unreadable pattern, stdin closed at the overwrite question). */
export async function saveCameraFileToFile(gp: GpContext, file: CameraFileRef, kind: FileKind): Promise<void> {
  const { session, flags } = gp;
  const expanded = expandPattern({
    pattern: gp.filename,
    folder: file.folder,
    name: file.name,
    mtime: file.mtime,
    takeNumber: gp.takeNumber,
  });
  if (!expanded.ok) throw new GpError(GP_ERROR_BAD_PARAMETERS, expanded.message);
  let target = expanded.path;
  if (kind === 'preview' && gp.filename && gp.camera.config.previewThumbPrefix) target = thumbName(target);

  if (flags.skipExisting && isFile(target)) {
    if (!flags.quiet) session.out(`Skip existing file ${target}\n`);
    return;
  }
  // Quiet mode never asks: it overwrites silently.
  if (!flags.quiet) {
    while (!flags.forceOverwrite && isFile(target)) {
      const overwrite = await askYesNo(session, `\x07File ${target} exists. Overwrite? [y|n] `);
      if (overwrite === null) throw new GpError(GP_ERROR);
      if (overwrite) break;
      const rename = await askYesNo(session, 'Specify new filename? [y|n] ');
      if (rename === null) throw new GpError(GP_ERROR);
      if (!rename) return;
      session.out('Enter new filename: ');
      const line = await readLine();
      if (line === null) throw new GpError(GP_ERROR);
      target = line.slice(0, -1); // gphoto2 drops the last character, the newline
    }
    session.out(`Saving file as ${target}\n`);
  }
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
  } catch {
    // gphoto2 ignores mkdir failures; the write below reports the problem.
  }
  await writeChunked(gp, target, file.data);
  // gphoto2 gives the saved file the camera file's time (utime() in main.c's save_camera_file_to_file).
  if (kind === 'normal') {
    try {
      fs.utimesSync(target, file.mtime, file.mtime);
    } catch {
      // The write above already reported why there is no file.
    }
  }
}

/** The "download" to stdout for --stdout: gphoto2 then writes the bytes instead of a file. */
export async function writeToStdout(gp: GpContext, data: Buffer): Promise<void> {
  await gp.session.sleep(transferTime(gp.camera.config, data.length));
  if (gp.flags.stdoutSize) gp.session.out(`${data.length}\n`);
  gp.session.out(data);
}

/** How long a file of `bytes` takes to download: at transferMBps when set, else transferMs per file. */
export function transferTime(config: { transferMs: number; transferMBps: number }, bytes: number): number {
  return config.transferMBps > 0 ? (bytes / (config.transferMBps * 1_000_000)) * 1000 : config.transferMs;
}

async function askYesNo(session: Session, prompt: string): Promise<boolean | null> {
  for (;;) {
    session.out(prompt);
    const line = await readLine();
    if (line === null) return null;
    const c = line[0];
    if (c === 'y' || c === 'Y') return true;
    if (c === 'n' || c === 'N') return false;
  }
}

async function writeChunked(gp: GpContext, target: string, data: Buffer): Promise<void> {
  const { dieMidDownload } = gp.camera.config;
  const transferMs = transferTime(gp.camera.config, data.length);
  let fd: number;
  try {
    fd = fs.openSync(target, 'w');
  } catch (err) {
    // gphoto2 reports a failed move into place with perror() and carries on as if it had worked,
    // leaving its download temp file in the working folder (verified with 2.5.28 + vcamera).
    gp.session.err(`rename: ${strerror(err)}\n`);
    leaveTempFile((file) => fs.writeFileSync(file, data, { mode: 0o600 }));
    return;
  }
  const chunks = transferMs > 0 ? 20 : 1;
  const half = Math.floor(data.length / 2);
  let written = 0;
  try {
    for (let k = 1; k <= chunks; k++) {
      const end = Math.ceil((data.length * k) / chunks);
      if (dieMidDownload && end >= half) {
        fs.writeSync(fd, data, written, half - written);
        fs.fsyncSync(fd);
        process.kill(process.pid, 'SIGKILL'); // the crash under test: no cleanup, lock left behind
      }
      fs.writeSync(fd, data, written, end - written);
      written = end;
      if (transferMs > 0) await gp.session.sleep(transferMs / chunks);
    }
  } catch (err) {
    fs.closeSync(fd);
    // gphoto2 downloads to a temp file and discards it when cancelled: no partial target remains.
    if (err instanceof CancelledError) fs.rmSync(target, { force: true });
    throw err;
  }
  fs.closeSync(fd);
}

/** mkstemp("tmpfileXXXXXX") in the working folder, as gphoto2 names its download temp file. */
function leaveTempFile(write: (file: string) => void): void {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const name = `tmpfile${Array.from({ length: 6 }, () => letters[Math.floor(Math.random() * letters.length)]).join('')}`;
  try {
    write(name);
  } catch {
    // an unwritable working folder was already reported before the download
  }
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

const STRERROR: Readonly<Record<string, string>> = {
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
};

function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return STRERROR[code] ?? (err as Error).message;
}
