/**
 * One `gphoto2 --shell` session against one gphoto2 process per command, on the real stack: Debian's
 * gphoto2 driving libgphoto2's virtual camera (test/support/vcamera.ts), everything in the same run.
 * For `npm run bench` (call shellSessionBench from bench/run.ts), or on its own:
 *   node esbuild.js --tests && node out/bench/shellSession.js [captures] [reads]
 *
 * Measured: captures (capture-image-and-download, file verified), settings reads (get-config
 * f-number, the value checked), and a value set in the session read back. The virtual camera's
 * capture time depends on what was read before it in the same process (its event wait after an
 * f-number read is shorter), so captures are measured both ways in both modes: that, not the
 * session, is what separates 6.6 s from 3.3 s. A battery-level read before a capture crashes the
 * virtual camera (test/fixtures/gphoto2/shell/shell-summary-then-capture.json): never done here.
 * CAMERA_TETHER_BENCH_GPHOTO2 runs another path to the same binary (a symlink named otherwise, so
 * that a parallel test run's cleanup, which stops processes NAMED gphoto2, leaves the bench alone).
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isCompleteJpeg, listDownloaded } from '../src/camera/downloadedFiles';
import { ProcessRunner, type RunResult } from '../src/camera/processRunner';
import { shellCommandError, ShellSession } from '../src/camera/shellSession';
import { vcameraGphoto2, vcameraUnavailableReason, type VcameraGphoto2 } from '../test/support/vcamera';

export interface ShellBenchFigures {
  /** gphoto2 start to prompt to the opening `ls /` answered (ms). */
  sessionOpen: number;
  /** `gphoto2 --get-config f-number`, one process each (ms). */
  perCommandRead: number[];
  /** `get-config f-number` in the open session, the driver's stderr marker included (ms). */
  sessionRead: number[];
  /** `gphoto2 --capture-image-and-download`, one process each (ms). */
  perCommandCapture: number[];
  /** `gphoto2 --get-config f-number --capture-image-and-download`, one process each (ms). */
  perCommandReadThenCapture: number[];
  /** capture-image-and-download in a session where nothing was read first (ms). */
  sessionCapture: number[];
  /** capture-image-and-download in a session after get-config f-number (ms). */
  sessionReadThenCapture: number[];
  /** set-config-value f-number=f/8 then get-config in the session read `f/8`. */
  sessionKeepsSetting: boolean;
  /** The same set in one process and a read in the next read `f/8` (a fresh camera per process: false). */
  perCommandKeepsSetting: boolean;
}

export interface ShellBenchOptions {
  captures: number;
  reads: number;
  /** Defaults to the virtual camera build test/setup/build-vcamera.sh made. */
  gphoto2?: VcameraGphoto2;
  log?: (line: string) => void;
}

const SELECTION = { model: 'Nikon DSC D750', port: 'usb:>/dev/null' };

export async function shellSessionBench(options: ShellBenchOptions): Promise<ShellBenchFigures> {
  const found = options.gphoto2 ?? vcameraGphoto2();
  if (!found) throw new Error(`the virtual camera is not available: ${vcameraUnavailableReason()}`);
  const vc = { ...found, command: process.env.CAMERA_TETHER_BENCH_GPHOTO2 ?? found.command };
  const log = options.log ?? (() => undefined);
  const runner = new ProcessRunner();
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'ct-bench-shell-'));
  const env = { ...vc.env, LANG: 'C', LC_ALL: 'C' };
  let shots = 0;
  const newDir = async (): Promise<string> => {
    const dir = path.join(work, `shot-${++shots}`);
    await fs.mkdir(dir);
    return dir;
  };
  const oneShot = async (args: string[]): Promise<{ r: RunResult; ms: number }> => {
    const t = performance.now();
    const r = await runner.run(vc.command, [...vc.baseArgs, ...args], {
      timeoutMs: 60_000,
      graceMs: 2000,
      env,
      cwd: vc.cwd,
    });
    const ms = performance.now() - t;
    if (r.exitCode !== 0) throw new Error(`gphoto2 ${args.join(' ')} exited ${r.exitCode ?? r.signal}: ${r.stderr}`);
    return { r, ms };
  };
  const verified = async (dir: string): Promise<void> => {
    const files = await listDownloaded(dir);
    if (files.length !== 1 || !files[0].complete || !(await isCompleteJpeg(files[0].path)))
      throw new Error(`the capture into ${dir} did not leave one complete JPEG: ${JSON.stringify(files)}`);
  };
  const open = async (): Promise<{ session: ShellSession; ms: number }> => {
    const t = performance.now();
    const session = await ShellSession.open({
      start: (args, o) =>
        runner.start(vc.command, args, { ...o, env: { ...env, ...o.env }, cwd: vc.cwd, timeoutMs: 0, graceMs: 2000 }),
      selection: SELECTION,
      cwd: vc.cwd,
      timeoutMs: 30_000,
    });
    return { session, ms: performance.now() - t };
  };
  const read = { label: 'Settings', timeoutMs: 10_000 };
  const shoot = { label: 'Capture', timeoutMs: 60_000 };

  try {
    const figures: ShellBenchFigures = {
      sessionOpen: 0,
      perCommandRead: [],
      sessionRead: [],
      perCommandCapture: [],
      perCommandReadThenCapture: [],
      sessionCapture: [],
      sessionReadThenCapture: [],
      sessionKeepsSetting: false,
      perCommandKeepsSetting: false,
    };

    log('settings reads, one process each ...');
    for (let i = 0; i < options.reads; i++) {
      const { r, ms } = await oneShot(['--get-config', 'f-number']);
      if (!r.stdout.includes('Current: ')) throw new Error(`no value read: ${r.stdout}`);
      figures.perCommandRead.push(ms);
    }
    log('settings reads in one session ...');
    {
      const { session, ms } = await open();
      figures.sessionOpen = ms;
      for (let i = 0; i < options.reads; i++) {
        const t = performance.now();
        const r = await session.getConfig(['f-number'], read);
        figures.sessionRead.push(performance.now() - t);
        if (!r.stdout.includes('Current: ')) throw new Error(`no value read: ${r.stdout}`);
      }
      await session.setConfig('set-config-value', 'f-number', 'f/8', read);
      figures.sessionKeepsSetting = (await session.getConfig(['f-number'], read)).stdout.includes('Current: f/8\n');
      await session.close();
    }
    await oneShot(['--set-config-value', 'f-number=f/8']);
    figures.perCommandKeepsSetting = (await oneShot(['--get-config', 'f-number'])).r.stdout.includes('Current: f/8\n');

    log('captures, one process each ...');
    for (let i = 0; i < options.captures; i++) {
      const dir = await newDir();
      const { ms } = await oneShot(['--capture-image-and-download', `--filename=${path.join(dir, '%f.%C')}`]);
      await verified(dir);
      figures.perCommandCapture.push(ms);
    }
    for (let i = 0; i < options.captures; i++) {
      const dir = await newDir();
      const { ms } = await oneShot([
        '--get-config',
        'f-number',
        '--capture-image-and-download',
        `--filename=${path.join(dir, '%f.%C')}`,
      ]);
      await verified(dir);
      figures.perCommandReadThenCapture.push(ms);
    }
    log('captures in one session, nothing read first ...');
    {
      const { session } = await open();
      for (let i = 0; i < options.captures; i++) {
        const dir = await newDir();
        const t = performance.now();
        const r = await session.captureAndDownload(dir, shoot);
        figures.sessionCapture.push(performance.now() - t);
        const e = shellCommandError(r, 'Capture', shoot.timeoutMs);
        if (e) throw e;
        await verified(dir);
      }
      await session.close();
    }
    log('captures in one session after an f-number read ...');
    {
      const { session } = await open();
      await session.getConfig(['f-number'], read);
      for (let i = 0; i < options.captures; i++) {
        const dir = await newDir();
        const t = performance.now();
        const r = await session.captureAndDownload(dir, shoot);
        figures.sessionReadThenCapture.push(performance.now() - t);
        const e = shellCommandError(r, 'Capture', shoot.timeoutMs);
        if (e) throw e;
        await verified(dir);
      }
      await session.close();
    }
    return figures;
  } finally {
    await runner.dispose();
    await fs.rm(work, { recursive: true, force: true });
    await fs.rm(vc.env.HOME, { recursive: true, force: true }).catch(() => undefined);
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const fmt = (xs: readonly number[]): string =>
  `median ${median(xs).toFixed(1)} ms (${xs.map((x) => Math.round(x)).join(', ')})`;

export function printShellSessionBench(f: ShellBenchFigures): void {
  console.log('gphoto2 --shell vs one process per command (Debian gphoto2 + libgphoto2 virtual camera, same run):');
  console.log(`  session open (start, prompt, ls /):            ${f.sessionOpen.toFixed(0)} ms`);
  console.log(`  get-config f-number, one process each:         ${fmt(f.perCommandRead)}`);
  console.log(`  get-config f-number in the session:            ${fmt(f.sessionRead)}`);
  console.log(
    `    ratio per-command / session:                 ${(median(f.perCommandRead) / median(f.sessionRead)).toFixed(1)}x`,
  );
  console.log(`  capture-and-download, one process each:        ${fmt(f.perCommandCapture)}`);
  console.log(`  the same after --get-config f-number:          ${fmt(f.perCommandReadThenCapture)}`);
  console.log(`  capture-and-download in a session:             ${fmt(f.sessionCapture)}`);
  console.log(`  the same after get-config f-number:            ${fmt(f.sessionReadThenCapture)}`);
  console.log(`  a set value read back: session ${f.sessionKeepsSetting}, next process ${f.perCommandKeepsSetting}`);
}

if (require.main === module) {
  const captures = Number(process.argv[2] ?? 3);
  const reads = Number(process.argv[3] ?? 20);
  shellSessionBench({ captures, reads, log: (l) => console.log(l) }).then(printShellSessionBench, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
