/** The jobs that only ask gphoto2 something: detect, summary, version. */
import * as gp from '../gphoto2';
import type { JobContext } from './jobContext';

export async function detectJob(ctx: JobContext): Promise<gp.DetectedCamera[]> {
  const r = await ctx.run('Detect camera', gp.autoDetectArgs(), ctx.settings.timeouts.commandMs);
  return gp.parseAutoDetect(r.stdout);
}

export async function summaryJob(ctx: JobContext): Promise<string> {
  const r = await ctx.run('Camera summary', gp.summaryArgs(ctx.settings.selection), ctx.settings.timeouts.commandMs);
  return r.stdout.trim();
}

export async function versionJob(ctx: JobContext): Promise<gp.Gphoto2Version> {
  const r = await ctx.run('gphoto2 --version', gp.versionArgs(), ctx.settings.timeouts.commandMs);
  return gp.parseVersion(r.stdout);
}
