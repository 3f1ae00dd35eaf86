/**
 * Moving files without ever replacing one: link(2) then unlink (atomic, fails if the name exists),
 * or an exclusive copy where the file system has no hard links.
 */
import { constants as fsConstants, promises as fs } from 'fs';

/** Moves `from` to `to` unless `to` exists. Returns false (and moves nothing) when it does. */
export async function placeNoOverwrite(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EXDEV' && code !== 'ENOSYS')
      throw err;
    // exFAT/FAT cards and some network shares have no hard links: an exclusive copy is just as safe.
    try {
      await fs.copyFile(from, to, fsConstants.COPYFILE_EXCL);
    } catch (copyErr) {
      if ((copyErr as NodeJS.ErrnoException).code === 'EEXIST') return false;
      await fs.rm(to, { force: true }).catch(() => undefined);
      throw copyErr;
    }
  }
  await fs.rm(from, { force: true });
  return true;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}
