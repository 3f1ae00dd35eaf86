/** Grouping downloaded files into exposures, by the camera's own names. */
import * as path from 'path';
import type { DownloadedFile } from '../downloadedFiles';

/** A camera file's name without its folder. */
export function cameraBaseName(cameraPath: string): string {
  return cameraPath.slice(cameraPath.lastIndexOf('/') + 1);
}

/** Files of one exposure share the camera's base name (IMG_0042.CR2 + IMG_0042.JPG). */
export function groupByExposure(files: DownloadedFile[]): DownloadedFile[][] {
  const groups = new Map<string, DownloadedFile[]>();
  for (const f of files) {
    const name = path.basename(f.path);
    const dot = name.lastIndexOf('.');
    const key = (dot > 0 ? name.slice(0, dot) : name).toLowerCase();
    const g = groups.get(key);
    if (g) g.push(f);
    else groups.set(key, [f]);
  }
  return [...groups.values()];
}
