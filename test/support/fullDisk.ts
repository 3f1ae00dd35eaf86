/** Filling a small tmpfs to its last block, for the disk-full fault tests (root only: they mount it). */
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';

/** Writes `dir`/filler until the file system says ENOSPC; 1 KiB steps leave less than 1 KiB free. */
export async function fillToEnospc(dir: string): Promise<void> {
  const filler = await fs.open(path.join(dir, 'filler'), 'w');
  try {
    for (;;) await filler.write(Buffer.alloc(1024, 1));
  } catch (err) {
    assert.strictEqual((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    await filler.close();
  }
}
