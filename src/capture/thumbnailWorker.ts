/** Worker-thread entry (bundled as dist/thumbnailWorker.js): makes thumbnails off the extension host's main thread. */
import { parentPort } from 'worker_threads';
import { makeThumbnail } from './thumbnailMaker';

export interface ThumbnailTask {
  id: number;
  source: string;
  out: string;
  size: number;
}

parentPort?.on('message', (task: ThumbnailTask) => {
  makeThumbnail(task.source, task.out, task.size).then(
    (result) => parentPort?.postMessage({ id: task.id, result }),
    (err: unknown) => parentPort?.postMessage({ id: task.id, error: err instanceof Error ? err.message : String(err) }),
  );
});
