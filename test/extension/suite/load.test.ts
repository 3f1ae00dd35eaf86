/**
 * Load: 200 mixed commands fired at once through vscode.commands.executeCommand against a LINGERING
 * simulator, while a sampler reads the process table every 5 ms. The promise under test: every click
 * works, at most one gphoto2 at a time, nothing captured is lost, frame numbers 1..N without gaps.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { BASE_SETTINGS } from '../workspace';
import { isCompleteJpeg } from '../../../src/camera/downloadedFiles';
import { LinuxProcessTable } from '../../../src/camera/processTable';
import { run, simulatorConfig } from '../cameraCommands';

/** Camera processes that are children of this extension host (ours, not other test runs'). */
async function ours(table: LinuxProcessTable): Promise<number> {
  return (await table.list(new Set(['gphoto2-sim', 'gphoto2']))).filter((p) => p.ppid === process.pid).length;
}

/** Both ways a job reaches gphoto2 (cameraTether.connection); the guarantees are the same. */
const CONNECTIONS = ['perCommand', 'session'] as const;

for (const connection of CONNECTIONS)
  describe(`Load: 200 mixed commands at once against a lingering simulator (connection: ${connection})`, function () {
    this.timeout(600_000);
    const config = vscode.workspace.getConfiguration('cameraTether');

    before(async () => {
      // Each simulator run stays alive 10 s after its work unless stopped; the manager stops it after
      // 100 ms of quiet once its files are complete.
      simulatorConfig({
        lingerMs: 10_000,
        captureWidth: 320,
        captureHeight: 200,
        previewWidth: 160,
        previewHeight: 106,
        liveViewWidth: 160,
        liveViewHeight: 106,
      });
      await config.update('lingerMs', 100, vscode.ConfigurationTarget.Workspace);
      await config.update('connection', connection, vscode.ConfigurationTarget.Workspace);
      // A session that outlives the commands lets the camera go after this long.
      await config.update('sessionIdleSeconds', 1, vscode.ConfigurationTarget.Workspace);
      await run('newRoll', `load-roll-${connection}`);
    });
    after(async () => {
      await run('stopLiveView');
      await config.update('lingerMs', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('connection', BASE_SETTINGS['cameraTether.connection'], vscode.ConfigurationTarget.Workspace);
      await config.update('sessionIdleSeconds', undefined, vscode.ConfigurationTarget.Workspace);
      simulatorConfig({});
    });

    it('all succeed, one process at a time, frames exactly 1..N, nothing left running', async () => {
      const mix: string[] = [
        ...Array<string>(60).fill('capture'),
        ...Array<string>(40).fill('preview'),
        ...Array<string>(30).fill('testCapture'),
        ...Array<string>(20).fill('cleanup'),
        ...Array<string>(20).fill('detectCamera'),
        ...Array<string>(15).fill('startLiveView'),
        ...Array<string>(15).fill('stopLiveView'),
      ];
      // A fixed shuffle, so a failure can be replayed.
      let seed = 12345;
      for (let i = mix.length - 1; i > 0; i--) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const j = seed % (i + 1);
        [mix[i], mix[j]] = [mix[j], mix[i]];
      }
      const table = new LinuxProcessTable();
      let maxSeen = 0;
      let samples = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          maxSeen = Math.max(maxSeen, await ours(table));
          samples++;
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const t0 = Date.now();
      const results = await Promise.allSettled(
        mix.map((c) => (c === 'detectCamera' ? run(c, { interactive: false }) : run(c))),
      );
      await run('stopLiveView');
      const wallMs = Date.now() - t0;
      // A session stays open until it has been idle for sessionIdleSeconds (polled, with a deadline).
      const deadline = Date.now() + 15_000;
      while ((await ours(table)) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      sampling = false;
      await sampler;

      const failures = results.map((r, i) => ({ r, c: mix[i] })).filter((x) => x.r.status === 'rejected');
      const captures = results
        .filter((r, i) => mix[i] === 'capture' && r.status === 'fulfilled')
        .map((r) => (r as PromiseFulfilledResult<{ frame: number; files: string[] }>).value);
      const frames = captures.map((c) => c.frame).sort((a, b) => a - b);
      const files = captures.flatMap((c) => c.files);
      const left = await ours(table);
      console.log(
        `load: ${mix.length} commands in ${wallMs} ms, ${samples} samples, max camera processes seen ${maxSeen}, failures ${failures.length}, frames ${frames.length}, left running ${left}`,
      );

      assert.deepStrictEqual(
        failures.map((f) => `${f.c}: ${(f.r as PromiseRejectedResult).reason}`),
        [],
        'no command failed',
      );
      assert.ok(samples > 100, `the sampler ran (${samples})`);
      assert.ok(maxSeen <= 1, `at most one gphoto2/simulator at every sample, saw ${maxSeen}`);
      assert.deepStrictEqual(
        frames,
        Array.from({ length: 60 }, (_, i) => i + 1),
        'frame numbers exactly 1..60',
      );
      assert.strictEqual(new Set(files).size, files.length, 'every capture is a distinct file');
      for (const f of files) assert.ok(await isCompleteJpeg(f), `${f} is complete`);
      assert.strictEqual(left, 0, 'nothing left running');
    });
  });
