/**
 * Which program plays gphoto2: the real binary, or the bundled simulator run by Node. The manager runs
 * the identical code path against either.
 */
import * as path from 'path';
import { SIMULATOR_PROCESS_NAME } from './processReaper';

export interface Gphoto2Program {
  command: string;
  /** Arguments that come before gphoto2's own (the simulator's script path). */
  prefixArgs: string[];
  env: Record<string, string>;
  simulated: boolean;
  /** The process name cleanup looks for besides the configured ones. */
  processName: string;
  /** For logs and the UI: "gphoto2" or "gphoto2-sim". */
  displayName: string;
}

export function realGphoto2(gphoto2Path: string): Gphoto2Program {
  // LANG=C keeps gphoto2's messages in English, which is what the parsers read.
  return {
    command: gphoto2Path,
    prefixArgs: [],
    env: { LANG: 'C', LC_ALL: 'C' },
    simulated: false,
    processName: path.basename(gphoto2Path),
    displayName: 'gphoto2',
  };
}

/**
 * The simulator is a Node script. In desktop VS Code process.execPath is Electron, which behaves as
 * plain Node with ELECTRON_RUN_AS_NODE.
 */
export function simulatedGphoto2(simulatorScript: string, extraEnv: Record<string, string> = {}): Gphoto2Program {
  return {
    command: process.execPath,
    prefixArgs: [simulatorScript],
    env: { ELECTRON_RUN_AS_NODE: '1', ...extraEnv },
    simulated: true,
    processName: SIMULATOR_PROCESS_NAME,
    displayName: SIMULATOR_PROCESS_NAME,
  };
}
