/**
 * Issue 11's figures, measured in one run on the simulator:
 *
 * 1. Loading the settings panel: every setting in ONE gphoto2 run (`--list-all-config`, parsed into
 *    the model) against reading the same settings one gphoto2 run each (`--get-config NAME`), for
 *    the panel's role settings and for the whole tree.
 * 2. What the exposure lock adds to a capture: the capture alone, the lock in the capture's own run
 *    (write + read back, then capture), and the lock as a run of its own before the capture.
 *
 * The simulator opens the camera with `startupMs` of latency per process (default 500 ms: a real
 * body adds 0.4-1.5 s per gphoto2 process, /work/shared/gphoto2-facts.md), and again with 0 (the
 * process cost alone). Repetitions are interleaved so a busy neighbour touches all alike; medians.
 *   node esbuild.js --tests && node out/bench/settingsRead.js
 * Env: BENCH_SETTINGS_REPS (default 5), BENCH_SETTINGS_STARTUP_MS (default 500).
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  checkExposureLock,
  commandLineName,
  lockedExposure,
  readCameraSettings,
  withExposureLock,
  applyExposureLock,
  type CameraSetting,
  type RunGphoto2,
} from '../src/camera/config';
import { captureAndDownloadArgs, selectionArgs } from '../src/camera/gphoto2';
import { simulatedGphoto2 } from '../src/camera/gphoto2Program';
import { ProcessRunner } from '../src/camera/processRunner';

const ROOT = path.resolve(__dirname, '..', '..');
const SIMULATOR = path.join(ROOT, 'dist', 'simulator.js');
const REPS = Number(process.env.BENCH_SETTINGS_REPS ?? 5);
const STARTUP_MS = Number(process.env.BENCH_SETTINGS_STARTUP_MS ?? 500);
const SELECTION = { model: 'Camera Tether Simulator', port: 'usb:001,004' };

class Interfered extends Error {}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x: number): number => Math.round(x);

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const r = await fn();
  return [performance.now() - t, r];
}

export interface Figures {
  startupMs: number;
  roleSettings: number;
  allSettings: number;
  oneRunMs: number;
  perSettingRolesMs: number;
  perSettingAllMs: number;
  captureMs: number;
  captureWithLockSameRunMs: number;
  lockRunThenCaptureMs: number;
  lockedValues: number;
  /** Repetitions measured again because another process stopped the simulator. */
  interferedRepetitions: number;
}

async function measure(runner: ProcessRunner, startupMs: number): Promise<Figures> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'ct-bench-settings-'));
  const shots = await fs.mkdtemp(path.join(os.tmpdir(), 'ct-bench-shots-'));
  await fs.writeFile(path.join(home, 'config.json'), JSON.stringify({ startupMs }));
  // On a shared machine other test runs stop every process named gphoto2-sim (their cleanup tests),
  // which would end these runs mid-measurement. The bench runs a copy of the same bundle under
  // another process name; nothing else differs.
  const script = path.join(home, 'simulator-bench.js');
  const bundle = await fs.readFile(SIMULATOR, 'utf8');
  if (!bundle.includes('process.title = "gphoto2-sim";')) throw new Error(`${SIMULATOR}: process title not found`);
  await fs.writeFile(script, bundle.replace('process.title = "gphoto2-sim";', 'process.title = "ct-bench-sim";'));
  const program = simulatedGphoto2(script, { CAMERA_TETHER_SIM_HOME: home });
  const run: RunGphoto2 = async (_label, args) => {
    const r = await runner.start(program.command, [...program.prefixArgs, ...args], {
      timeoutMs: 60_000,
      graceMs: 2000,
      env: program.env,
      cwd: home,
    }).result;
    // Other test runs on a shared machine stop every gphoto2-sim by name (their cleanup tests):
    // such a repetition is measured again, not counted.
    if (r.signal || /Operation cancelled\./.test(r.stderr)) throw new Interfered(`${r.signal ?? 'cancelled'}`);
    if (r.exitCode !== 0) throw new Error(`simulator exited ${r.exitCode ?? r.signal}: ${r.stderr}`);
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? null };
  };
  try {
    let interfered = 0;
    const again = async <T>(fn: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await fn();
        } catch (err) {
          if (!(err instanceof Interfered) || ++interfered > 100) throw err;
        }
      }
    };
    const settings = await again(() => readCameraSettings(run, SELECTION));
    const roles = settings.filter((s) => s.role);
    const perSetting = async (which: CameraSetting[]): Promise<void> => {
      for (const s of which)
        await run('Read one setting', [...selectionArgs(SELECTION), `--get-config=${commandLineName(settings, s)}`]);
    };
    const { locked } = lockedExposure(settings);
    const oneRun: number[] = [];
    const perRoles: number[] = [];
    const perAll: number[] = [];
    const capture: number[] = [];
    const sameRun: number[] = [];
    const separate: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const rep = await again(repetition);
      oneRun.push(rep.oneRun);
      perRoles.push(rep.perRoles);
      perAll.push(rep.perAll);
      capture.push(rep.capture);
      sameRun.push(rep.sameRun);
      separate.push(rep.separate);
    }
    async function repetition(): Promise<
      Record<'oneRun' | 'perRoles' | 'perAll' | 'capture' | 'sameRun' | 'separate', number>
    > {
      const oneRunMs = (await timed(() => readCameraSettings(run, SELECTION)))[0];
      const perRolesMs = (await timed(() => perSetting(roles)))[0];
      const perAllMs = (await timed(() => perSetting(settings)))[0];
      const captureMs = (await timed(() => run('Capture', captureAndDownloadArgs(SELECTION, shots, false))))[0];
      const [sameRunMs, r] = await timed(() =>
        run('Capture', withExposureLock(captureAndDownloadArgs(SELECTION, shots, false), locked)),
      );
      if (!checkExposureLock(locked, r).ok) throw new Error('the lock did not hold');
      const separateMs = (
        await timed(async () => {
          const check = await applyExposureLock(run, SELECTION, locked);
          if (!check.ok) throw new Error('the lock did not hold');
          await run('Capture', captureAndDownloadArgs(SELECTION, shots, false));
        })
      )[0];
      return {
        oneRun: oneRunMs,
        perRoles: perRolesMs,
        perAll: perAllMs,
        capture: captureMs,
        sameRun: sameRunMs,
        separate: separateMs,
      };
    }
    return {
      startupMs,
      roleSettings: roles.length,
      allSettings: settings.length,
      oneRunMs: round(median(oneRun)),
      perSettingRolesMs: round(median(perRoles)),
      perSettingAllMs: round(median(perAll)),
      captureMs: round(median(capture)),
      captureWithLockSameRunMs: round(median(sameRun)),
      lockRunThenCaptureMs: round(median(separate)),
      lockedValues: locked.length,
      interferedRepetitions: interfered,
    };
  } finally {
    await fs.rm(home, { recursive: true, force: true });
    await fs.rm(shots, { recursive: true, force: true });
  }
}

export interface SettingsBenchResults {
  reps: number;
  results: Figures[];
}

/** Both latencies, one after the other, in one runner (see the header). */
export async function settingsBench(): Promise<SettingsBenchResults> {
  const runner = new ProcessRunner();
  try {
    return { reps: REPS, results: [await measure(runner, STARTUP_MS), await measure(runner, 0)] };
  } finally {
    await runner.dispose();
  }
}

export function printSettingsBench({ reps, results }: SettingsBenchResults): void {
  for (const f of results) {
    console.log(
      `\nCamera settings and the exposure lock, simulator start-up ${f.startupMs} ms, ${reps} interleaved repetitions (${f.interferedRepetitions} redone after outside interference), medians:`,
    );
    console.log(`  all ${f.allSettings} settings in one run (--list-all-config):  ${f.oneRunMs} ms`);
    console.log(
      `  the ${f.roleSettings} panel settings, one run each (--get-config):   ${f.perSettingRolesMs} ms  (${(f.perSettingRolesMs / f.oneRunMs).toFixed(1)}x)`,
    );
    console.log(
      `  all ${f.allSettings} settings, one run each:                       ${f.perSettingAllMs} ms  (${(f.perSettingAllMs / f.oneRunMs).toFixed(1)}x)`,
    );
    console.log(`  capture alone:                                      ${f.captureMs} ms`);
    console.log(
      `  capture with the lock (${f.lockedValues} values) in its own run:        ${f.captureWithLockSameRunMs} ms  (+${f.captureWithLockSameRunMs - f.captureMs} ms)`,
    );
    console.log(
      `  the lock as a run of its own, then the capture:     ${f.lockRunThenCaptureMs} ms  (+${f.lockRunThenCaptureMs - f.captureMs} ms)`,
    );
  }
}

if (require.main === module) {
  settingsBench()
    .then(async (r) => {
      printSettingsBench(r);
      const dir = path.join(ROOT, 'bench', 'results');
      await fs.mkdir(dir, { recursive: true });
      const file = path.join(dir, `settings-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
      await fs.writeFile(file, `${JSON.stringify(r, null, 2)}\n`);
      console.log(`\n${file}`);
    })
    .catch((err: unknown) => {
      console.error(err);
      process.exit(1);
    });
}
