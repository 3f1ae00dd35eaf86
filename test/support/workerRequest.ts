/**
 * One request to a timing worker, with a hang guard: if the worker does not answer within `guardMs`
 * it is terminated and the promise rejects with `onHang()`'s message. The guard only stops a
 * regression from hanging the suite; the tests assert ratios measured in the same run.
 */
import type { Worker } from 'worker_threads';

export function askWorker<T>(worker: Worker, message: unknown, guardMs: number, onHang: () => string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const guard = setTimeout(() => {
      void worker.terminate();
      reject(new Error(onHang()));
    }, guardMs);
    const done = (): void => {
      clearTimeout(guard);
      worker.off('message', onMessage);
      worker.off('error', onError);
    };
    const onMessage = (m: T): void => {
      done();
      resolve(m);
    };
    const onError = (err: Error): void => {
      done();
      reject(err);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage(message);
  });
}
