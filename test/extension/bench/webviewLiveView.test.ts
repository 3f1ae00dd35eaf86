/**
 * `npm run bench:webview`: live view at 30 fps through the manager into the REAL webview (frames the
 * webview reports displayed), measured inside a real extension host. Not part of `npm test`.
 *
 * Frames cross postMessage as typed arrays; base64 strings are measured against them in the same
 * extension host, in alternating phases (typed, base64, typed, base64) so drift hits both alike.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { LIVE_FRAME_ENCODING_ENV, type LiveFrameEncoding } from '../../../src/ui/panelProtocol';
import { run, simulatorConfig, until } from '../cameraCommands';

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

/** CPU seconds used so far by every Chromium process (the headless browser showing the webview). */
function browserCpuSeconds(): number {
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!/^chrom/.test(fs.readFileSync(`/proc/${pid}/comm`, 'utf8'))) continue;
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

async function measure(encoding: LiveFrameEncoding): Promise<Phase> {
  process.env[LIVE_FRAME_ENCODING_ENV] = encoding; // read by the panel when a stream starts
  await run('startLiveView');
  const started = (await live()).delivered;
  await until('the first displayed frame', async () => ((await live()).delivered > started ? true : undefined));
  await wait(1000); // warm-up, not synchronisation: the first second is not measured
  const a = await live();
  assert.strictEqual(a.encoding, encoding, 'the panel streams in the encoding this phase measures');
  const cpu0 = process.cpuUsage();
  const browser0 = browserCpuSeconds();
  const t0 = Date.now();
  await wait(SECONDS * 1000); // the measuring window
  const b = await live();
  const seconds = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const browser = browserCpuSeconds() - browser0;
  await run('stopLiveView');
  return {
    encoding,
    seconds: round(seconds, 2),
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

describe('Bench: live view displayed in the webview', function () {
  this.timeout((ORDER.length * (SECONDS + 15) + 60) * 1000);

  it(`30 fps, ${ORDER.length} phases of ${SECONDS} s: typed arrays against base64 strings`, async () => {
    simulatorConfig({ liveViewFps: 30, liveViewWidth: 640, liveViewHeight: 424 });
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
