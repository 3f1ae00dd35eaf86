/** Writes files into a fresh staging folder of the store, as a download would leave them. */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { CaptureStore, StagedFile } from '../../src/capture/captureStore';

export async function stage(store: CaptureStore, files: Record<string, string>): Promise<StagedFile[]> {
  const dir = await store.newStagingDir();
  const out: StagedFile[] = [];
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    await fs.writeFile(p, content);
    out.push({ path: p, bytes: Buffer.byteLength(content), extension: path.extname(name).slice(1) });
  }
  return out;
}
