/**
 * Runs the bundled simulator (dist/simulator.js) as the manager's gphoto2, each test with its own
 * simulator home (device lock, image counter, config.json read at every simulator start).
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { simulatedGphoto2 } from '../../src/camera/gphoto2Program';
import type { Gphoto2Program } from '../../src/camera/gphoto2Program';
import type { ConnectionMode, ManagerSettings } from '../../src/camera/cameraManager';

export const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
export const SIMULATOR_SCRIPT = path.join(PROJECT_ROOT, 'dist', 'simulator.js');

export interface SimulatorConfig {
  model?: string;
  port?: string;
  startupMs?: number;
  transferMs?: number;
  lingerMs?: number;
  hang?: boolean;
  dieMidDownload?: boolean;
  noCamera?: boolean;
  busy?: boolean;
  garbage?: boolean;
  captureFailsExitZero?: boolean;
  cardFull?: boolean;
  raw?: boolean;
  rawJpegGapMs?: number;
  noLiveView?: boolean;
  previewThumbPrefix?: boolean;
  captureWidth?: number;
  captureHeight?: number;
  previewWidth?: number;
  previewHeight?: number;
  liveViewFps?: number;
  liveViewWidth?: number;
  liveViewHeight?: number;
  jpegQuality?: number;
}

export class SimulatorHarness {
  private constructor(
    readonly home: string,
    readonly program: Gphoto2Program,
  ) {}

  static async create(config: SimulatorConfig = {}): Promise<SimulatorHarness> {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'ct-sim-'));
    const harness = new SimulatorHarness(home, simulatedGphoto2(SIMULATOR_SCRIPT, { CAMERA_TETHER_SIM_HOME: home }));
    await harness.configure(config);
    return harness;
  }

  /** Takes effect at the next simulator start. */
  async configure(config: SimulatorConfig): Promise<void> {
    await fs.writeFile(path.join(this.home, 'config.json'), JSON.stringify(config));
  }

  get lockPath(): string {
    return path.join(this.home, 'device.lock');
  }

  async dispose(): Promise<void> {
    await fs.rm(this.home, { recursive: true, force: true });
  }
}

export async function tempDir(prefix = 'ct-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Manager settings for tests: short timeouts and linger, no extra cleanup names, no fps cap. */
export function testManagerSettings(
  program: Gphoto2Program,
  previewDir: string,
  overrides: Partial<ManagerSettings> = {},
): ManagerSettings {
  return {
    program,
    selection: {},
    timeouts: { commandMs: 10_000, previewMs: 10_000, captureMs: 10_000, cleanupTermMs: 1000, cleanupKillMs: 1000 },
    graceMs: 500,
    lingerMs: 150,
    cleanupMode: 'whenNeeded',
    cleanupNames: [],
    settleMs: 0,
    keepOnCamera: false,
    previewDir,
    liveViewMaxFps: 0,
    connection: 'perCommand',
    sessionIdleMs: 30_000,
    ...overrides,
  };
}

/**
 * Both ways a job reaches gphoto2: suites whose guarantees hold in both run once per mode
 * (`for (const connection of CONNECTION_MODES) describe(...)`).
 */
export const CONNECTION_MODES: readonly ConnectionMode[] = ['perCommand', 'session'];
