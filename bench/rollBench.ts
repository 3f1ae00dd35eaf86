/**
 * The roll benchmark: a roll of RAW+JPEG frames (25 MB RAW) captured, downloaded, verified and
 * committed, per camera profile (src/simulator/camera/profiles.ts: connect, per-command, exposure and
 * transfer latencies from published figures), four ways in one run:
 * - filmScanner: the Film-Scanner note's fix, kill-and-sleep (~1 s) before one gphoto2 per frame,
 *   files verified and moved into the roll the same way;
 * - perCommand: the camera manager, one gphoto2 process per command;
 * - session: the camera manager with one long-lived `gphoto2 --shell`;
 * - limit: the profile's own camera time, exposure + transfer of the files the session run got,
 *   nothing else (computed, not measured).
 * Also, per profile and mode, the time to open the settings (read them all) and to take a preview
 * right after a capture. Then the real stack: Debian's gphoto2 driving libgphoto2's virtual camera
 * through the manager, per command and in a session, for captures and settings reads.
 * BENCH_ROLL_FRAMES (default 36), BENCH_ROLL_PROFILES (comma-separated, default all).
 */
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CameraLock } from '../src/camera/cameraLock';
import { CameraManager, type ConnectionMode, type ManagerSettings } from '../src/camera/cameraManager';
import { listDownloaded } from '../src/camera/downloadedFiles';
import { captureAndDownloadArgs } from '../src/camera/gphoto2';
import { simulatedGphoto2, type Gphoto2Program } from '../src/camera/gphoto2Program';
import { ProcessReaper } from '../src/camera/processReaper';
import { ProcessRunner } from '../src/camera/processRunner';
import { CaptureStore } from '../src/capture/captureStore';
import { parseFilenamePattern } from '../src/capture/fileNaming';
import { TetherSession } from '../src/session/tetherSession';
import { CAMERA_PROFILES } from '../src/simulator/camera/profiles';
import { OwnChildrenTable } from '../test/support/ownChildrenTable';
import { testManagerSettings } from '../test/support/simulatorHarness';
import { vcameraGphoto2, vcameraUnavailableReason } from '../test/support/vcamera';
import { filmScannerKill } from './filmScannerKill';

const ROOT = path.resolve(__dirname, '..', '..');
const SIMULATOR = path.join(ROOT, 'dist', 'simulator.js');
const FRAMES = Number(process.env.BENCH_ROLL_FRAMES ?? 36);
const RAW_BYTES = 25_000_000;
/** The simulators' process name here: a test run's cleanup beside the bench stops gphoto2-sim by name. */
const BENCH_SIM_TITLE = 'ct-bench-sim';
const AFTER_CAPTURE_RUNS = 5;
const REAL_CAPTURES = 6;
const REAL_READS = 5;

const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export interface RollStrategy {
  secondsPerFrame: number;
  ratioToLimit: number;
}

export interface ProfileRoll {
  frames: number;
  limit: RollStrategy;
  filmScanner: RollStrategy;
  perCommand: RollStrategy;
  session: RollStrategy;
  /** Median ms to read every setting, and to take a preview, right after a capture. */
  afterCapture: Record<ConnectionMode, { settingsMs: number; previewMs: number }>;
}

export interface RealStack {
  perCommand: { captureMs: number; settingsReadMs: number };
  session: { captureMs: number; settingsReadMs: number };
}

export interface RollBenchResults {
  profiles: Record<string, ProfileRoll>;
  realStack: RealStack | { skipped: string };
}

/** The tests' manager settings, with a bench's generous timeouts and real-body linger. */
function settings(program: Gphoto2Program, dir: string, connection: ConnectionMode): ManagerSettings {
  return testManagerSettings(program, path.join(dir, 'previews'), {
    timeouts: { commandMs: 30_000, previewMs: 30_000, captureMs: 120_000, cleanupTermMs: 2000, cleanupKillMs: 2000 },
    graceMs: 2000,
    lingerMs: 1500,
    connection,
    sessionIdleMs: 60_000,
  });
}

/** A manager and session of their own (own lock, own reaper that sees only this process's children). */
async function openSession(program: Gphoto2Program, dir: string, connection: ConnectionMode): Promise<TetherSession> {
  const manager = new CameraManager(
    {
      runner: new ProcessRunner(),
      reaper: new ProcessReaper(new OwnChildrenTable(), {
        names: [],
        termTimeoutMs: 2000,
        killTimeoutMs: 2000,
        settleMs: 0,
      }),
      lock: new CameraLock(path.join(dir, 'lock'), 'roll bench'),
    },
    settings(program, dir, connection),
  );
  if (process.env.BENCH_LOG) manager.on('log', (e) => console.log(`    [${e.level}] ${e.message}`));
  return TetherSession.open(
    manager,
    new CaptureStore(path.join(dir, 'captures'), parseFilenamePattern('frame-{frame:04}'), `roll-${connection}`),
    { source: 'simulator' },
  );
}

async function closeSession(session: TetherSession): Promise<void> {
  session.dispose();
  await session.manager.dispose();
}

/** The manager's roll: FRAMES captures; returns ms per frame and the bytes per frame seen. */
async function managedRoll(program: Gphoto2Program, dir: string, connection: ConnectionMode) {
  const session = await openSession(program, dir, connection);
  try {
    // The first job's cleanup is the same in every mode; the session's opening is part of the roll.
    await session.cleanup();
    let bytes = 0;
    const ms = await timed(async () => {
      for (let i = 0; i < FRAMES; i++) {
        const c = await session.capture();
        if (c.files.length !== 2) throw new Error(`frame ${c.frame}: ${c.files.length} files, not RAW+JPEG`);
        bytes += c.files.reduce((n, f) => n + f.bytes, 0);
      }
    });
    // Settings and a preview right after a capture, as a user opening the panel.
    const settingsMs: number[] = [];
    const previewMs: number[] = [];
    for (let i = 0; i < AFTER_CAPTURE_RUNS; i++) {
      await session.capture();
      settingsMs.push(await timed(() => session.cameraSettings()));
      await session.capture();
      previewMs.push(await timed(() => session.preview()));
    }
    return {
      msPerFrame: ms / FRAMES,
      bytesPerFrame: bytes / FRAMES,
      afterCapture: { settingsMs: round(median(settingsMs), 0), previewMs: round(median(previewMs), 0) },
    };
  } finally {
    await closeSession(session);
    await fs.rm(path.join(dir, 'captures'), { recursive: true, force: true });
  }
}

/** The Film-Scanner strategy per frame: kill-and-sleep, one gphoto2, verify, move into the roll. */
async function filmScannerRoll(home: string, dir: string): Promise<number> {
  const roll = path.join(dir, 'fs-roll');
  await fs.mkdir(roll, { recursive: true });
  const env = { ...process.env, CAMERA_TETHER_SIM_HOME: home, CAMERA_TETHER_SIM_TITLE: BENCH_SIM_TITLE };
  const ms = await timed(async () => {
    for (let i = 0; i < FRAMES; i++) {
      const staging = await fs.mkdtemp(path.join(dir, 'fs-'));
      await filmScannerKill();
      await new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, [SIMULATOR, ...captureAndDownloadArgs({}, staging, false)], {
          env,
          cwd: staging,
          stdio: 'ignore',
        });
        child.once('error', reject);
        child.once('exit', () => resolve());
      });
      const files = await listDownloaded(staging);
      if (files.length !== 2 || !files.every((f) => f.complete))
        throw new Error(`Film-Scanner frame ${i + 1}: bad files`);
      for (const f of files)
        await fs.rename(f.path, path.join(roll, `frame-${String(i + 1).padStart(4, '0')}.${f.extension}`));
      await fs.rm(staging, { recursive: true, force: true });
    }
  });
  await fs.rm(roll, { recursive: true, force: true });
  return ms / FRAMES;
}

async function simHome(dir: string, profile: string): Promise<string> {
  const home = path.join(dir, `sim-${profile}`);
  await fs.mkdir(home, { recursive: true });
  await fs.writeFile(
    path.join(home, 'config.json'),
    JSON.stringify({ profile, raw: true, rawBytes: RAW_BYTES, captureWidth: 1200, captureHeight: 800 }),
  );
  return home;
}

async function profileRoll(profileName: string, dir: string): Promise<ProfileRoll> {
  const profile = CAMERA_PROFILES[profileName];
  const home = await simHome(dir, profileName);
  const program = {
    ...simulatedGphoto2(SIMULATOR, { CAMERA_TETHER_SIM_HOME: home, CAMERA_TETHER_SIM_TITLE: BENCH_SIM_TITLE }),
    processName: BENCH_SIM_TITLE,
  };
  process.stdout.write(`  ${profileName}: Film-Scanner strategy, ${FRAMES} frames...\n`);
  const film = await filmScannerRoll(home, dir);
  process.stdout.write(`  ${profileName}: manager, one process per command...\n`);
  const perCommand = await managedRoll(program, dir, 'perCommand');
  process.stdout.write(`  ${profileName}: manager, one gphoto2 --shell session...\n`);
  const session = await managedRoll(program, dir, 'session');
  // The camera's own time: the release to the files ready, then the files over the wire.
  const limitMs = profile.exposureMs + (session.bytesPerFrame / (profile.transferMBps * 1e6)) * 1000;
  const strategy = (ms: number): RollStrategy => ({
    secondsPerFrame: round(ms / 1000, 3),
    ratioToLimit: round(ms / limitMs, 3),
  });
  return {
    frames: FRAMES,
    limit: strategy(limitMs),
    filmScanner: strategy(film),
    perCommand: strategy(perCommand.msPerFrame),
    session: strategy(session.msPerFrame),
    afterCapture: { perCommand: perCommand.afterCapture, session: session.afterCapture },
  };
}

/** /usr/bin/gphoto2 run where the virtual camera's port file is (see test/integration/managerRealGphoto2.test.ts). */
const WRAPPER = `#!/bin/sh
here=$(pwd -P)
case "$here/" in
  "$CT_VUSB_JOBS"/*) [ -e '>' ] || ln -s "$CT_VUSB/>" '>' || exit 97 ;;
  *) cd "$CT_VUSB" || exit 97 ;;
esac
exec "$CT_GPHOTO2" "$@"
`;

async function realStack(dir: string): Promise<RealStack | { skipped: string }> {
  const reason = vcameraUnavailableReason();
  if (reason) return { skipped: reason };
  const root = await fs.realpath(await fs.mkdtemp(path.join(dir, 'real-')));
  const vc = vcameraGphoto2({ home: path.join(root, 'home') });
  if (!vc) return { skipped: 'vcameraGphoto2() found nothing' };
  await fs.mkdir(path.join(root, 'home'));
  await fs.mkdir(path.join(root, 'vusb', '>', 'dev'), { recursive: true });
  await fs.writeFile(path.join(root, 'vusb', '>', 'dev', 'null'), Buffer.from([0xb0, 0x04, 0x37, 0x04]));
  await fs.writeFile(path.join(root, 'gp.sh'), WRAPPER, { mode: 0o755 });
  // gphoto2 under a name of its own: a test run's cleanup beside the bench stops processes named gphoto2.
  const gphoto2 = path.join(root, 'ct-bench-gp2');
  await fs.symlink('/usr/bin/gphoto2', gphoto2);
  const jobs = path.join(root, 'jobs');
  await fs.mkdir(jobs);
  const program: Gphoto2Program = {
    command: '/bin/sh',
    prefixArgs: [path.join(root, 'gp.sh')],
    env: {
      ...vc.env,
      LANG: 'C',
      LC_ALL: 'C',
      CT_VUSB: path.join(root, 'vusb'),
      CT_VUSB_JOBS: jobs,
      CT_GPHOTO2: gphoto2,
    },
    simulated: false,
    processName: 'ct-bench-gp2',
    displayName: 'gphoto2',
  };
  const out = {} as RealStack;
  for (const connection of ['perCommand', 'session'] as const) {
    const d = await fs.mkdtemp(path.join(jobs, `${connection}-`));
    const session = await openSession(program, d, connection);
    session.manager.configure({ selection: { model: 'Nikon DSC D750', port: 'usb:>/dev/null' } });
    try {
      // The first capture learns the file count (and opens the session): not counted.
      await session.capture();
      const captures: number[] = [];
      for (let i = 0; i < REAL_CAPTURES; i++) captures.push(await timed(() => session.capture()));
      // Reads last: the virtual camera crashes in a capture made after its battery level was read.
      const reads: number[] = [];
      for (let i = 0; i < REAL_READS; i++) reads.push(await timed(() => session.cameraSettings()));
      out[connection] = { captureMs: round(median(captures), 0), settingsReadMs: round(median(reads), 0) };
    } finally {
      await closeSession(session);
    }
  }
  await fs.rm(root, { recursive: true, force: true });
  return out;
}

export async function rollBench(): Promise<RollBenchResults> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ct-bench-roll-'));
  try {
    const names = (process.env.BENCH_ROLL_PROFILES ?? Object.keys(CAMERA_PROFILES).join(',')).split(',');
    const profiles: Record<string, ProfileRoll> = {};
    for (const name of names) profiles[name] = await profileRoll(name, dir);
    process.stdout.write('  real stack: the virtual camera per command and in a session...\n');
    return { profiles, realStack: await realStack(dir) };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export function printRollBench(r: RollBenchResults): void {
  console.log(
    `\nRoll of ${Object.values(r.profiles)[0]?.frames ?? FRAMES} RAW+JPEG frames (25 MB RAW): seconds per frame (ratio to the limit)`,
  );
  console.log('  profile      limit          Film-Scanner     per command      session');
  for (const [name, p] of Object.entries(r.profiles)) {
    const cell = (s: RollStrategy): string =>
      `${s.secondsPerFrame.toFixed(2)} (${s.ratioToLimit.toFixed(2)}x)`.padEnd(17);
    console.log(`  ${name.padEnd(12)} ${cell(p.limit)}${cell(p.filmScanner)}${cell(p.perCommand)}${cell(p.session)}`);
  }
  console.log('  After a capture (median ms)   settings: per command / session    preview: per command / session');
  for (const [name, p] of Object.entries(r.profiles))
    console.log(
      `  ${name.padEnd(29)} ${String(p.afterCapture.perCommand.settingsMs).padStart(8)} / ${String(p.afterCapture.session.settingsMs).padEnd(20)} ${String(p.afterCapture.perCommand.previewMs).padStart(8)} / ${p.afterCapture.session.previewMs}`,
    );
  console.log('  Real gphoto2 + virtual camera (median ms)   capture    settings read');
  if ('skipped' in r.realStack) console.log(`    skipped: ${r.realStack.skipped}`);
  else
    for (const [mode, v] of Object.entries(r.realStack))
      console.log(`    ${mode.padEnd(42)} ${String(v.captureMs).padStart(7)} ${String(v.settingsReadMs).padStart(12)}`);
}

// `node out/bench/rollBench.js`: this part alone.
if (require.main === module) {
  void rollBench().then(printRollBench, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
