/**
 * One test's camera: a simulator with its own home, and a session over it in a fresh folder
 * (`captures/` is the output folder, `previews/` beside it), as most session-level suites open them.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { ManagerSettings } from '../../src/camera/cameraManager';
import { openManagerSession, type ManagerSession } from './managerSession';
import { SimulatorHarness, tempDir, testManagerSettings, type SimulatorConfig } from './simulatorHarness';

export interface SimulatedSession extends ManagerSession {
  sim: SimulatorHarness;
  /** The test's folder. */
  out: string;
  /** Closes the session, then removes the folder and the simulator's home. */
  dispose(): Promise<void>;
}

export async function openSimulatedSession(
  prefix: string,
  config: SimulatorConfig = {},
  options: { roll?: string; settings?: Partial<ManagerSettings> } = {},
): Promise<SimulatedSession> {
  const sim = await SimulatorHarness.create(config);
  const out = await tempDir(prefix);
  const opened = await openManagerSession({
    settings: testManagerSettings(sim.program, path.join(out, 'previews'), options.settings),
    workDir: out,
    output: path.join(out, 'captures'),
    identity: { source: 'simulator' },
    ...(options.roll ? { roll: options.roll } : {}),
  });
  return {
    ...opened,
    sim,
    out,
    dispose: async () => {
      await opened.close();
      await fs.rm(out, { recursive: true, force: true });
      await sim.dispose();
    },
  };
}
