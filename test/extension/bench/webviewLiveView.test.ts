/**
 * `npm run bench:webview`: live view at 30 fps through the manager into the REAL webview (frames the
 * webview reports displayed), measured inside a real extension host. Not part of `npm test`.
 *
 * Frames cross postMessage as typed arrays; base64 strings are measured against them in the same
 * extension host, in alternating phases (typed, base64, typed, base64) so drift hits both alike.
 * Then the histogram (with the clipping overlay, its worst case) off against on, the same way, at
 * today's 30 fps 640x424 and at a fast body's 45 fps 960x640 (issue 13: >= 95 % of the frames
 * displayed, <= 1 waiting).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { LIVE_FRAME_ENCODING_ENV, type LiveFrameEncoding } from '../../../src/ui/panelProtocol';
import { run, simulatorConfig, until } from '../cameraCommands';
import { queryServiceAvailable, queryWorkbench, waitForWorkbench } from '../workbenchQuery';

interface Live {
  encoding?: LiveFrameEncoding;
  delivered: number;
  dropped: number;
  broken: number;
  fps: number;
  latencyMedianMs?: number;
  latencyP95Ms?: number;
}
interface Phase {
  encoding: LiveFrameEncoding;
  seconds: number;
  /** Frames the camera delivered to the extension per second (displayed + dropped). */
  cameraDeliveredFps: number;
  displayedFps: number;
  dropped: number;
  /** Frames the browser could not decode: must be 0, else the figures mean nothing. */
  undecodable: number;
  latencyMedianMs?: number;
  latencyP95Ms?: number;
  extensionHostCpuSecondsPerSecond: number;
  browserCpuSecondsPerSecond: number;
}

const live = async () =>
  (await run<{ panel: { live?: Live } }>('getState')).panel.live ?? { delivered: 0, dropped: 0, broken: 0, fps: 0 };
/** Seconds measured per phase; the pump keeps the latencies of its last 300 acks, 10 s at 30 fps. */
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
const ORDER: LiveFrameEncoding[] = ['typed', 'base64', 'typed', 'base64'];
/** /proc/<pid>/stat counts CPU time in USER_HZ ticks, which Linux fixes at 100 per second for userspace. */
const USER_HZ = 100;

/** Parent of each process now, from /proc/<pid>/stat. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      out.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process exited while we read
    }
  }
  return out;
}

/**
 * The test runner that started this extension host and the browser (runInCodeServer.js): only its
 * Chromium counts, not the browsers of other test runs on a shared machine. Undefined: count all.
 */
const runner = ((): number | undefined => {
  const up = parents();
  for (let pid: number | undefined = process.pid; pid && pid > 1; pid = up.get(pid)) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('runInCodeServer')) return pid;
    } catch {
      return undefined;
    }
  }
  return undefined;
})();

/** CPU seconds used so far by the Chromium processes showing the webview (this runner's browser). */
function browserCpuSeconds(): number {
  let ticks = 0;
  const up = parents();
  const ours = (pid: number) => {
    if (runner === undefined) return true;
    for (let p: number | undefined = pid; p && p > 1; p = up.get(p)) if (p === runner) return true;
    return false;
  };
  for (const pid of up.keys()) {
    try {
      if (!/^chrom/.test(fs.readFileSync(`/proc/${pid}/comm`, 'utf8')) || !ours(pid)) continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // the process exited while we read
    }
  }
  return ticks / USER_HZ;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The panel's histogram and clipping buttons (read and clicked in the real page). */
async function analysisButtons(): Promise<{ histogram: boolean; clipping: boolean }> {
  const found = await queryWorkbench({ selector: '#btn-histogram, #btn-clipping', scope: 'webviews' });
  const pressed = (id: string) => found.find((e) => e.id === id)?.attributes['aria-pressed'] === 'true';
  return { histogram: pressed('btn-histogram'), clipping: pressed('btn-clipping') };
}

async function setAnalysis(on: boolean): Promise<void> {
  const now = await analysisButtons();
  if (now.histogram !== on) await queryWorkbench({ selector: '#btn-histogram', scope: 'webviews', click: true });
  if (now.clipping !== on) await queryWorkbench({ selector: '#btn-clipping', scope: 'webviews', click: true });
  await waitForWorkbench(
    `the histogram ${on ? 'on' : 'off'}`,
    { selector: '#btn-histogram, #btn-clipping', scope: 'webviews' },
    (found) =>
      found.length === 2 && found.every((e) => e.attributes['aria-pressed'] === String(on)) ? true : undefined,
  );
}

/** The analysis worker's counters, read from the page. */
async function analysed(): Promise<{ analysed: number; skipped: number; ms: number }> {
  const h = (await queryWorkbench({ selector: '#histogram', scope: 'webviews' }))[0];
  return {
    analysed: Number(h?.attributes['data-analysed'] ?? 0),
    skipped: Number(h?.attributes['data-skipped'] ?? 0),
    ms: Number(h?.attributes['data-ms'] ?? 0),
  };
}

/** Read at the start and the end of the measuring window (e.g. the page's analysis counters). */
interface WindowProbe {
  start(): Promise<void>;
  end(): Promise<void>;
}

async function measure(encoding: LiveFrameEncoding, probe?: WindowProbe): Promise<Phase> {
  process.env[LIVE_FRAME_ENCODING_ENV] = encoding; // read by the panel when a stream starts
  await run('startLiveView');
  const started = (await live()).delivered;
  await until('the first displayed frame', async () => ((await live()).delivered > started ? true : undefined));
  await wait(1000); // warm-up, not synchronisation: the first second is not measured
  const a = await live();
  assert.strictEqual(a.encoding, encoding, 'the panel streams in the encoding this phase measures');
  await probe?.start();
  const cpu0 = process.cpuUsage();
  const browser0 = browserCpuSeconds();
  const t0 = Date.now();
  await wait(SECONDS * 1000); // the measuring window
  const b = await live();
  await probe?.end();
  const seconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const browser = browserCpuSeconds() - browser0;
  await run('stopLiveView');
  return {
    encoding,
    seconds: round(seconds, 2),
    cameraDeliveredFps: round((b.delivered - a.delivered + b.dropped - a.dropped) / seconds, 1),
    displayedFps: round((b.delivered - a.delivered) / seconds, 1),
    dropped: b.dropped - a.dropped,
    undecodable: b.broken - a.broken,
    latencyMedianMs: b.latencyMedianMs,
    latencyP95Ms: b.latencyP95Ms,
    extensionHostCpuSecondsPerSecond: round((cpu.user + cpu.system) / 1e6 / seconds, 3),
    browserCpuSecondsPerSecond: round(browser / seconds, 3),
  };
}

function summarise(phases: Phase[], encoding: LiveFrameEncoding) {
  const of = phases.filter((p) => p.encoding === encoding);
  const avg = (pick: (p: Phase) => number | undefined) => round(mean(of.map((p) => pick(p) ?? NaN)), 3);
  return {
    displayedFps: avg((p) => p.displayedFps),
    droppedPerPhase: avg((p) => p.dropped),
    latencyMedianMs: avg((p) => p.latencyMedianMs),
    latencyP95Ms: avg((p) => p.latencyP95Ms),
    extensionHostCpuSecondsPerSecond: avg((p) => p.extensionHostCpuSecondsPerSecond),
    browserCpuSecondsPerSecond: avg((p) => p.browserCpuSecondsPerSecond),
  };
}

interface AnalysisPhase extends Phase {
  histogram: boolean;
  /** The camera's rate: displayed / this is the share of frames displayed. */
  cameraFps: number;
  displayedShare: number;
  /** Pictures the worker analysed per second, and those replaced while waiting (at most one waits). */
  analysedPerSecond: number;
  skippedPerSecond: number;
  /** The worker's time per analysed picture, ms (smoothed over the last few). */
  workerMsPerPicture: number;
}

const RATES = [
  { fps: 30, width: 640, height: 424 },
  { fps: 45, width: 960, height: 640 },
];

describe('Bench: live view displayed in the webview', function () {
  before(() =>
    console.log(
      runner === undefined
        ? '    (browser CPU: every Chromium process on the machine; the runner was not found)'
        : `    (browser CPU: the Chromium processes of the test runner, pid ${runner})`,
    ),
  );
  this.timeout((ORDER.length * (SECONDS + 15) + 60) * 1000);

  it(`30 fps, ${ORDER.length} phases of ${SECONDS} s: typed arrays against base64 strings`, async () => {
    simulatorConfig({ liveViewFps: 30, liveViewWidth: 640, liveViewHeight: 424, liveViewFrameLoop: 30 });
    await run('openPanel');
    const phases: Phase[] = [];
    try {
      for (const encoding of ORDER) {
        const phase = await measure(encoding);
        console.log(`webview live view phase: ${JSON.stringify(phase)}`);
        phases.push(phase);
      }
    } finally {
      process.env[LIVE_FRAME_ENCODING_ENV] = 'typed';
    }
    const typed = summarise(phases, 'typed');
    const base64 = summarise(phases, 'base64');
    const ratio = (k: keyof typeof typed) => round(base64[k] / typed[k], 2);
    const result = {
      date: new Date().toISOString(),
      secondsPerPhase: SECONDS,
      typed,
      base64,
      base64OverTyped: {
        extensionHostCpu: ratio('extensionHostCpuSecondsPerSecond'),
        browserCpu: ratio('browserCpuSecondsPerSecond'),
        latencyMedian: ratio('latencyMedianMs'),
        latencyP95: ratio('latencyP95Ms'),
      },
      phases,
    };
    console.log(`webview live view: ${JSON.stringify({ typed, base64, base64OverTyped: result.base64OverTyped })}`);
    const outDir =
      process.env.CAMERA_TETHER_BENCH_RESULTS ?? path.resolve(__dirname, '..', '..', '..', '..', 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(
      path.join(outDir, `webview-${result.date.replace(/[:.]/g, '-')}.json`),
      JSON.stringify(result, null, 2),
    );
    for (const p of phases) {
      assert.ok(p.displayedFps > 0, `the webview displayed frames in the ${p.encoding} phase`);
      assert.strictEqual(p.undecodable, 0, `every frame of the ${p.encoding} phase was decoded`);
    }
  });
});

describe('Bench: live view with the histogram off and on', function () {
  this.timeout((RATES.length * 4 * (SECONDS + 20) + 120) * 1000);

  before(function () {
    if (!queryServiceAvailable()) {
      console.log('    (skipped: switching the histogram needs the code-server runner)');
      this.skip();
    }
  });

  for (const rate of RATES) {
    it(`${rate.fps} fps ${rate.width}x${rate.height}: histogram and clipping off against on, 4 phases of ${SECONDS} s`, async () => {
      // A second of frames drawn once and replayed: a body's encoder does not run on the host, and
      // encoding 960x640 at 45 fps took the simulator 0.8 of this machine's 2 cores.
      simulatorConfig({
        liveViewFps: rate.fps,
        liveViewWidth: rate.width,
        liveViewHeight: rate.height,
        liveViewFrameLoop: rate.fps,
      });
      // cameraTether.liveView.maxFps (30 by default) would thin a faster body out: a user with one raises it.
      const liveViewSettings = vscode.workspace.getConfiguration('cameraTether.liveView');
      await liveViewSettings.update('maxFps', rate.fps, vscode.ConfigurationTarget.Workspace);
      await run('openPanel');
      const phases: AnalysisPhase[] = [];
      try {
        for (const on of [false, true, false, true]) {
          await setAnalysis(on);
          let from = { analysed: 0, skipped: 0, ms: 0 };
          let to = from;
          const phase = await measure('typed', {
            start: async () => {
              from = await analysed();
            },
            end: async () => {
              to = await analysed();
            },
          });
          const p: AnalysisPhase = {
            ...phase,
            histogram: on,
            cameraFps: rate.fps,
            displayedShare: round(phase.displayedFps / rate.fps, 3),
            analysedPerSecond: round((to.analysed - from.analysed) / phase.seconds, 1),
            skippedPerSecond: round((to.skipped - from.skipped) / phase.seconds, 1),
            workerMsPerPicture: on ? round(to.ms, 1) : 0,
          };
          console.log(`webview live view with histogram ${on ? 'on' : 'off'}: ${JSON.stringify(p)}`);
          phases.push(p);
        }
      } finally {
        await setAnalysis(false);
        await liveViewSettings.update('maxFps', undefined, vscode.ConfigurationTarget.Workspace);
      }
      const avg = (on: boolean, pick: (p: AnalysisPhase) => number) =>
        round(mean(phases.filter((p) => p.histogram === on).map(pick)), 3);
      const summary = (on: boolean) => ({
        displayedFps: avg(on, (p) => p.displayedFps),
        displayedShare: avg(on, (p) => p.displayedShare),
        cameraDeliveredFps: avg(on, (p) => p.cameraDeliveredFps),
        droppedPerPhase: avg(on, (p) => p.dropped),
        latencyMedianMs: avg(on, (p) => p.latencyMedianMs ?? NaN),
        browserCpuSecondsPerSecond: avg(on, (p) => p.browserCpuSecondsPerSecond),
        extensionHostCpuSecondsPerSecond: avg(on, (p) => p.extensionHostCpuSecondsPerSecond),
        analysedPerSecond: avg(on, (p) => p.analysedPerSecond),
        skippedPerSecond: avg(on, (p) => p.skippedPerSecond),
        workerMsPerPicture: avg(on, (p) => p.workerMsPerPicture),
      });
      const off = summary(false);
      const onS = summary(true);
      const result = {
        date: new Date().toISOString(),
        rate,
        secondsPerPhase: SECONDS,
        off,
        on: onS,
        onOverOff: {
          browserCpu: round(onS.browserCpuSecondsPerSecond / off.browserCpuSecondsPerSecond, 2),
          displayedFps: round(onS.displayedFps / off.displayedFps, 3),
        },
        phases,
      };
      console.log(
        `webview histogram ${rate.fps} fps: ${JSON.stringify({ off, on: onS, onOverOff: result.onOverOff })}`,
      );
      const outDir =
        process.env.CAMERA_TETHER_BENCH_RESULTS ?? path.resolve(__dirname, '..', '..', '..', '..', 'bench', 'results');
      fs.mkdirSync(outDir, { recursive: true });
      fs.writeFileSync(
        path.join(outDir, `webview-histogram-${rate.fps}fps-${result.date.replace(/[:.]/g, '-')}.json`),
        JSON.stringify(result, null, 2),
      );
      for (const p of phases) {
        assert.ok(p.displayedFps > 0, `frames were displayed with the histogram ${p.histogram ? 'on' : 'off'}`);
        assert.strictEqual(p.undecodable, 0, 'every frame was decoded');
      }
      // The figures are the bench's output; the goal (>= 95 % displayed) is reported, not asserted:
      // a loaded machine must not fail a measurement.
    });
  }
});
