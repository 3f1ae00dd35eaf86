/** One preview frame (`--capture-preview`), verified and kept with the newest few. */
import { promises as fs } from 'fs';
import * as path from 'path';
import { isCompleteJpeg, listDownloaded } from '../downloadedFiles';
import { CameraError } from '../errors';
import * as gp from '../gphoto2';
import type { PreviewResult } from '../managerTypes';
import type { JobContext } from './jobContext';

const PREVIEWS_KEPT = 4;
let previewSeq = 0;

export async function previewJob(ctx: JobContext): Promise<PreviewResult> {
  const started = performance.now();
  const { previewDir, selection, timeouts } = ctx.settings;
  await fs.mkdir(previewDir, { recursive: true });
  const staging = await fs.mkdtemp(path.join(previewDir, '.preview-'));
  try {
    const args = gp.capturePreviewArgs(selection, path.join(staging, 'preview.jpg'));
    const r = await ctx.run('Preview', args, timeouts.previewMs, { dir: staging, expectedFiles: 1, stdout: '' });
    // gphoto2 may save as thumb_<name>: take what it says it saved, else what is in the folder.
    const said = gp.parseSavedFiles(r.stdout).find((f) => path.dirname(path.resolve(f)) === path.resolve(staging));
    const files = await listDownloaded(staging);
    const file = files.find((f) => said !== undefined && path.resolve(f.path) === path.resolve(said)) ?? files[0];
    if (!file)
      throw new CameraError(
        'badOutput',
        `Preview failed: gphoto2 finished but saved no preview image${gp.describeFailureLine(r)}. Check that the camera is on and not in playback mode, then try again.`,
        { stderrTail: gp.outputTail(r.stderr, 6) },
      );
    if (!file.complete || !(await isCompleteJpeg(file.path))) {
      throw new CameraError(
        'io',
        'Preview failed: the preview image arrived incomplete. Try again; if it keeps happening, run Cleanup and check the cable.',
      );
    }
    const finalPath = path.join(previewDir, `preview-${Date.now()}-${++previewSeq}.jpg`);
    await fs.rename(file.path, finalPath);
    await prunePreviews(previewDir);
    return { path: finalPath, bytes: file.bytes, durationMs: performance.now() - started };
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

async function prunePreviews(previewDir: string): Promise<void> {
  const names = (await fs.readdir(previewDir)).filter((n) => /^preview-\d+-\d+\.jpg$/.test(n));
  const byAge = names
    .map((n) => ({ n, t: Number(n.split('-')[1]), s: Number(n.split('-')[2].split('.')[0]) }))
    .sort((a, b) => b.t - a.t || b.s - a.s);
  await Promise.all(byAge.slice(PREVIEWS_KEPT).map((p) => fs.rm(path.join(previewDir, p.n), { force: true })));
}
