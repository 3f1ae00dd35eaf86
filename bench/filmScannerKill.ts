/**
 * The Film-Scanner note's fix (/work/shared/film-scanner-process-conflict-note.md), reproduced for
 * the benchmarks: killall gphoto2, 0.2 s, killall -9, 0.2 s, killall the gvfs monitor, 0.3 s,
 * killall -9 PTPCamera, 0.3 s, before every command.
 *
 * `killall gphoto2` here names a process nobody runs: the previous command's gphoto2 has exited by
 * then (the simulator does not linger in these runs), so killall finds nothing either way and costs
 * the same, while a bench run must never stop the simulators of test runs beside it on the machine.
 */
import { execFileSync, spawn } from 'child_process';

export const KILLALL = (() => {
  for (const c of ['/usr/bin/killall', '/bin/killall', '/usr/bin/pkill']) {
    try {
      execFileSync(c, ['--version'], { stdio: 'ignore' });
      return c;
    } catch {
      // try the next
    }
  }
  return 'pkill';
})();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function killall(signal: string | undefined, name: string): Promise<void> {
  const args = KILLALL.endsWith('pkill')
    ? [...(signal ? [signal] : []), '-x', name]
    : [...(signal ? [signal] : []), '-q', name];
  return new Promise((resolve, reject) => {
    const child = spawn(KILLALL, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', () => resolve());
  });
}

/** One round of the note's `_kill_gphoto2()`: about 1 s of sleeps plus the four killall runs. */
export async function filmScannerKill(gphoto2Name = 'ct-bench-gp2'): Promise<void> {
  await killall(undefined, gphoto2Name); // stands for `killall gphoto2`
  await sleep(200);
  await killall('-9', gphoto2Name);
  await sleep(200);
  await killall(undefined, 'gvfs-gphoto2-volume-monitor');
  await sleep(300);
  await killall('-9', 'PTPCamera');
  await sleep(300);
}
