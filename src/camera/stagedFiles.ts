/** Files gphoto2 put somewhere other than where the job asked. */
import { promises as fs } from 'fs';
import * as path from 'path';
import { isCompleteJpeg, isJpegName, type DownloadedFile } from './downloadedFiles';
import * as gp from './gphoto2';

/**
 * Files gphoto2 says it saved (`Saving file as PATH`) that are not in the job's folder and exist:
 * where they went is what matters (a pattern code in a folder name, a changed gphoto2).
 */
export async function savedOutside(stdout: string, dir: string): Promise<DownloadedFile[]> {
  const inside = path.resolve(dir);
  const found: DownloadedFile[] = [];
  for (const saved of new Set(gp.parseSavedFiles(stdout))) {
    const full = path.resolve(inside, saved);
    if (path.dirname(full) === inside) continue;
    const st = await fs.stat(full).catch(() => undefined);
    if (!st?.isFile()) continue;
    const complete = st.size > 0 && (!isJpegName(full) || (await isCompleteJpeg(full).catch(() => false)));
    found.push({ path: full, bytes: st.size, extension: path.extname(full).slice(1), complete });
  }
  return found;
}

export async function emptyDir(dir: string): Promise<void> {
  for (const name of await fs.readdir(dir).catch(() => [] as string[]))
    await fs.rm(path.join(dir, name), { recursive: true, force: true });
}
