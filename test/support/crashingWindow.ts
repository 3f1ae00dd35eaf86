/**
 * An "extension host" for crash tests, run as its own Node process: opens a manager session on the
 * simulator and captures. The test SIGKILLs it once gphoto2 has downloaded into staging, as when
 * VS Code's extension host dies mid-capture. Argument: JSON {simHome, output, workDir}.
 * Prints "capturing" before the capture, gphoto2's stdout, and "committed <frame>" if it ever gets that far.
 */
import * as path from 'path';
import { simulatedGphoto2 } from '../../src/camera/gphoto2Program';
import { openManagerSession } from './managerSession';
import { SIMULATOR_SCRIPT, testManagerSettings } from './simulatorHarness';

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '{}') as { simHome: string; output: string; workDir: string };
  const program = simulatedGphoto2(SIMULATOR_SCRIPT, { CAMERA_TETHER_SIM_HOME: args.simHome });
  // The manager must not end the lingering gphoto2 itself: the window dies first.
  const base = testManagerSettings(program, path.join(args.workDir, 'previews'));
  const s = await openManagerSession({
    settings: { ...base, lingerMs: 600_000, timeouts: { ...base.timeouts, captureMs: 600_000 } },
    workDir: args.workDir,
    output: args.output,
    identity: { source: 'simulator' },
    lockLabel: 'crashing window',
  });
  // Relay gphoto2's stdout, so the test can kill this window after the download was announced and
  // the camera's copy deleted ("Deleting file ... on the camera"), the worst moment to die.
  const start = s.runner.start.bind(s.runner);
  s.runner.start = (command, args, options) =>
    start(command, args, {
      ...options,
      onStdoutText: (text) => {
        options?.onStdoutText?.(text);
        process.stdout.write(text);
      },
    });
  process.stdout.write('capturing\n');
  const r = await s.session.capture();
  process.stdout.write(`committed ${r.frame}\n`);
  await s.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
