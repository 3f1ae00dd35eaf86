/**
 * The cost of one kill-and-wait cleanup (median of 20): with nothing to kill, and with a lingering
 * simulator holding the device. Also how soon the device can be claimed again after the kill, which
 * is what the settle delay would be for.
 */
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ProcessReaper, SIMULATOR_PROCESS_NAME, defaultCleanupNames } from '../src/camera/processReaper';
import { LinuxProcessTable } from '../src/camera/processTable';

const RUNS = 20;
const SIMULATOR = path.resolve(__dirname, '..', '..', 'dist', 'simulator.js');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'ct-bench-cleanup-'));
  const env = {
    ...process.env,
    CAMERA_TETHER_SIM_HOME: home,
    CAMERA_TETHER_SIM_CONFIG: JSON.stringify({ lingerMs: -1 }),
  };
  const reaper = new ProcessReaper(new LinuxProcessTable(), {
    names: [...defaultCleanupNames('linux'), SIMULATOR_PROCESS_NAME],
    termTimeoutMs: 2000,
    killTimeoutMs: 2000,
    settleMs: 0,
    pollMs: 5,
  });
  const idle: number[] = [];
  for (let i = 0; i < RUNS; i++) idle.push((await reaper.cleanup()).durationMs);
  const lingering: number[] = [];
  const reclaim: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const child = spawn(process.execPath, [SIMULATOR, '--summary'], { env, stdio: 'ignore' });
    const lock = path.join(home, 'device.lock');
    while (!(await fs.stat(lock).catch(() => undefined))) await new Promise((r) => setTimeout(r, 2));
    const report = await reaper.cleanup();
    if (report.found.length !== 1 || report.ended[0].how !== 'terminated')
      throw new Error(`unexpected report ${JSON.stringify(report)}`);
    lingering.push(report.durationMs);
    // Is the device free the moment cleanup returns? Try to claim it with a fresh simulator.
    const t = performance.now();
    const probe = spawn(process.execPath, [SIMULATOR, '--summary'], {
      env: { ...env, CAMERA_TETHER_SIM_CONFIG: '{}' },
      stdio: 'ignore',
    });
    const code = await new Promise<number | null>((r) => probe.once('exit', r));
    if (code !== 0) throw new Error(`the device was not free right after cleanup (exit ${code})`);
    reclaim.push(performance.now() - t);
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
  }
  await fs.rm(home, { recursive: true, force: true });
  const result = {
    runs: RUNS,
    idleMedianMs: median(idle),
    lingeringMedianMs: median(lingering),
    claimAfterCleanupOk: `${RUNS}/${RUNS}`,
    probeMedianMs: median(reclaim),
  };
  console.log(JSON.stringify(result, null, 2));
}

void main();
