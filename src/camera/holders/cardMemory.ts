/**
 * What tethered mode knows of the camera's card, to find pictures taken while nothing listened
 * (the listener paused for a preview, live view, a reload): a camera announces a new file only to
 * the USB session running when it shoots, so they are found by comparing card listings.
 */
import { promises as fs } from 'fs';
import { listDownloaded, type DownloadedFile } from '../downloadedFiles';
import { CameraError, toCameraError } from '../errors';
import * as gp from '../gphoto2';
import type { JobContext } from '../jobs/jobContext';
import type { ExposureSink } from '../managerTypes';
import { cameraBaseName, groupByExposure } from './exposureFiles';

export interface FoundOnCard {
  files: string[];
  /** Downloaded into the roll (they stay on the card too); false: only on the card. */
  downloaded: boolean;
}

export class CardMemory {
  /** Camera paths on the card at the last listing (undefined: not listed since tethering was turned on). */
  private listed: Set<string> | undefined;
  /** Names tethered mode has downloaded itself (kept on the card with --keep: not "found" later). */
  private readonly downloaded = new Set<string>();

  /** Tethered mode was turned on anew: what is on the card now is the user's, not ours to take. */
  forget(): void {
    this.listed = undefined;
    this.downloaded.clear();
  }

  /** The listener downloaded this file (its local name is the camera's). */
  noteDownloaded(name: string): void {
    this.downloaded.add(name);
  }

  /**
   * Lists the card (one gphoto2 run, inside the queued start of the listener). The first time it only
   * remembers; later, files that appeared meanwhile are downloaded by their camera path (they stay on
   * the card) and each exposure is handed to `commit`. Returns what was found, if anything.
   */
  async collect(
    ctx: JobContext,
    sink: ExposureSink<unknown>,
    commit: (group: DownloadedFile[], dir: string) => Promise<unknown>,
  ): Promise<FoundOnCard | undefined> {
    const { selection, timeouts } = ctx.settings;
    const listing = await ctx.run('Tethered mode: list the card', gp.listCardFilesArgs(selection), timeouts.commandMs);
    const now = new Set(gp.parseCardFiles(listing.stdout));
    const before = this.listed;
    this.listed = now;
    if (!before) return undefined;
    const found = [...now].filter((p) => !before.has(p) && !this.downloaded.has(cameraBaseName(p)));
    if (found.length === 0) return undefined;
    ctx.log(
      'warn',
      `Tethered mode: ${found.length} file(s) appeared on the card while it was paused: ${found.join(', ')}.`,
    );
    const dir = await sink.makeStagingDir();
    try {
      await ctx.run(
        'Tethered mode: download from the card',
        gp.getCardFilesArgs(selection, found, dir),
        timeouts.captureMs,
        {
          dir,
          expectedFiles: found.length,
          stdout: '',
        },
      );
      const files = (await listDownloaded(dir)).filter((f) => f.complete);
      for (const group of groupByExposure(files)) await commit(group, dir);
      for (const f of found) this.downloaded.add(cameraBaseName(f));
      return { files: found, downloaded: true };
    } catch (err) {
      const error = err instanceof CameraError ? err : toCameraError(err, 'Tethered mode');
      ctx.log('error', `Tethered mode: could not download ${found.join(', ')} from the card: ${error.message}`);
      return { files: found, downloaded: false };
    } finally {
      await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
