/**
 * `npm run bench:webview`: live view at 30 fps through the manager into the REAL webview (frames the
 * webview reports displayed), measured inside a real extension host. Not part of `npm test`.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { stateDir } from '../../../src/simulator/simConfig';
import { run } from '../cameraCommands';

interface Live {
  delivered: number;
  dropped: number;
  fps: number;
  latencyMedianMs?: number;
  latencyP95Ms?: number;
}
const live = async () => (await run<{ panel: { live?: Live } }>('getState')).panel.live ?? { delivered: 0, dropped: 0, fps: 0 };
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 20);

describe('Bench: live view displayed in the webview', function () {
  this.timeout((SECONDS + 60) * 1000);

  it(`30 fps for ${SECONDS} s`, async () => {
    const dir = stateDir(process.env);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ liveViewFps: 30, liveViewWidth: 640, liveViewHeight: 424 }));
    await run('openPanel');
    await run('startLiveView');
    // Warm up one second, then measure.
    await new Promise((r) => setTimeout(r, 1000));
    const a = await live();
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const b = await live();
    const seconds = (Date.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    await run('stopLiveView');
    const result = {
      date: new Date().toISOString(),
      seconds,
      displayedFps: Math.round(((b.delivered - a.delivered) / seconds) * 10) / 10,
      dropped: b.dropped - a.dropped,
      latencyMedianMs: b.latencyMedianMs,
      latencyP95Ms: b.latencyP95Ms,
      extensionHostCpuSecondsPerSecond: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 1000) / 1000,
    };
    console.log(`webview live view: ${JSON.stringify(result)}`);
    const outDir = path.join(process.env.CAMERA_TETHER_BENCH_RESULTS ?? path.resolve(__dirname, '..', '..', '..', '..', 'bench', 'results'));
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, `webview-${result.date.replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
    assert.ok(b.delivered > a.delivered, 'frames were displayed');
  });
});
