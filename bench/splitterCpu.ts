/**
 * The live-view splitter's CPU on hostile streams, as a fraction of one core, at a rate a USB 2.0
 * camera could deliver (30 MB/s by default: USB 2.0 bulk transfers top out at 35-40 MB/s; real live
 * view is 1-6 MB/s). Each stream is fed in 64 KB chunks (a pipe's read size) on a wall-clock
 * schedule for a few seconds, and process.cpuUsage() over that time, minus the same schedule feeding
 * nothing, is the splitter's cost. A splitter that cannot keep up is stopped once it falls 2 s behind
 * and reported with the rate it reached.
 *
 * Part of `npm run bench`; alone: `node esbuild.js --tests && node out/bench/splitterCpu.js`
 * (BENCH_SPLITTER_RATE_MB, BENCH_SPLITTER_SECONDS).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { JpegSplitter } from '../src/camera/jpegSplitter';
import { hostileStreams, repeatTo } from '../test/support/hostileJpeg';

const ROOT = path.resolve(__dirname, '..', '..');
const SIMULATOR = path.join(ROOT, 'dist', 'simulator.js');
const CHUNK = 64 * 1024;
const STREAM_BYTES = 8 * 1024 * 1024;
const MAX_LAG_SECONDS = 2;

export interface SplitterCpu {
  /** Seconds of CPU per second of stream: the fraction of one core the splitter needs at this rate. */
  cpuPerStreamSecond: number;
  keptUp: boolean;
  /** What it processed, in MB/s of wall time (equals the rate when it kept up). */
  reachedMBps: number;
  streamSeconds: number;
  frames: number;
  truncated: number;
}

export interface SplitterCpuResult {
  rateMBps: number;
  seconds: number;
  /** The schedule's own CPU per second, already taken off every figure. */
  harnessCpuPerSecond: number;
  streams: Record<string, SplitterCpu>;
}

/** Real live-view frames (640x424) from the simulator's JPEG encoder, repeated. */
function benign(): Buffer {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-bench-split-'));
  try {
    const r = spawnSync(process.execPath, [SIMULATOR, '--capture-movie=59', '--stdout'], {
      env: {
        ...process.env,
        CAMERA_TETHER_SIM_HOME: home,
        CAMERA_TETHER_SIM_CONFIG: JSON.stringify({ liveViewFps: 240, liveViewWidth: 640, liveViewHeight: 424 }),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0 || r.stdout.length === 0)
      throw new Error(`the simulator gave no live view (exit ${r.status}): ${r.stderr.toString().trim()}`);
    return repeatTo(r.stdout, STREAM_BYTES);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Feeds the stream in 64 KB chunks at rateMBps for seconds, on the wall clock; returns the CPU spent. */
async function feed(
  stream: Buffer,
  push: (chunk: Buffer) => void,
  rateMBps: number,
  seconds: number,
): Promise<{ cpuSeconds: number; wallSeconds: number; sent: number }> {
  const rate = rateMBps * 1024 * 1024;
  const total = Math.floor((rate * seconds) / CHUNK) * CHUNK;
  let sent = 0;
  let offset = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const due = (): number => Math.min(total, ((performance.now() - t0) / 1000) * rate);
  let behind = false;
  while (sent < total && !behind) {
    while (sent + CHUNK <= due()) {
      push(stream.subarray(offset, offset + CHUNK));
      sent += CHUNK;
      offset = (offset + CHUNK) % stream.length;
      behind = due() - sent > rate * MAX_LAG_SECONDS;
      if (behind) break; // cannot keep up
    }
    if (sent < total && !behind) await sleep(10);
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds, sent };
}

export async function splitterCpu(
  rateMBps = Number(process.env.BENCH_SPLITTER_RATE_MB ?? 30),
  seconds = Number(process.env.BENCH_SPLITTER_SECONDS ?? 3),
  onStream?: (name: string, s: SplitterCpu) => void,
): Promise<SplitterCpuResult> {
  const streams: Record<string, Buffer> = { 'real frames (benign)': benign(), ...hostileStreams(STREAM_BYTES) };
  const idle = await feed(streams['real frames (benign)'], () => undefined, rateMBps, seconds);
  const harnessCpuPerSecond = idle.cpuSeconds / idle.wallSeconds;
  const out: Record<string, SplitterCpu> = {};
  for (const [name, stream] of Object.entries(streams)) {
    const splitter = new JpegSplitter(() => undefined);
    const r = await feed(stream, (c) => splitter.push(c), rateMBps, seconds);
    const streamSeconds = r.sent / (rateMBps * 1024 * 1024);
    const keptUp = r.wallSeconds <= streamSeconds + 0.5;
    out[name] = {
      cpuPerStreamSecond: round(Math.max(0, r.cpuSeconds - harnessCpuPerSecond * r.wallSeconds) / streamSeconds, 4),
      keptUp,
      reachedMBps: round(r.sent / 1024 / 1024 / r.wallSeconds, 1),
      streamSeconds: round(streamSeconds, 2),
      frames: splitter.stats.frames,
      truncated: splitter.stats.truncated,
    };
    onStream?.(name, out[name]);
  }
  return { rateMBps, seconds, harnessCpuPerSecond: round(harnessCpuPerSecond, 4), streams: out };
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

function line(name: string, s: SplitterCpu): string {
  const how = s.keptUp ? '' : `  could not keep up: ${s.reachedMBps} MB/s reached`;
  return `  ${name.padEnd(30)} ${String(s.cpuPerStreamSecond).padStart(8)}${how}`;
}

const heading = (rateMBps: number, seconds: number): string =>
  `Live-view splitter CPU at ${rateMBps} MB/s, ${seconds} s per stream (CPU seconds per second of stream = fraction of one core)`;

export function printSplitterCpu(r: SplitterCpuResult): void {
  console.log(`\n${heading(r.rateMBps, r.seconds)}; the schedule's own ${r.harnessCpuPerSecond} taken off`);
  for (const [name, s] of Object.entries(r.streams)) console.log(line(name, s));
}

if (require.main === module) {
  const rate = Number(process.env.BENCH_SPLITTER_RATE_MB ?? 30);
  const seconds = Number(process.env.BENCH_SPLITTER_SECONDS ?? 3);
  console.log(heading(rate, seconds));
  splitterCpu(rate, seconds, (name, s) => console.log(line(name, s))).then(
    (r) => console.log(`  (the schedule's own ${r.harnessCpuPerSecond} taken off)`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
