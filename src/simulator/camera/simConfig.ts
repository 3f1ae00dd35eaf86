/**
 * The simulator's behaviour knobs. `config.json` in the state folder is read at EVERY start, and the
 * env var CAMERA_TETHER_SIM_CONFIG (a JSON object) is merged over it, so tests change the camera's
 * behaviour between invocations without restarting anything. Field meanings: see ../README.md.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ensurePrivateFolder, privateRuntimeDir } from '../../camera/privateDir';
import { CAMERA_PROFILES, profileFields } from './profiles';

export interface SimConfig {
  /** A named set of latencies (./profiles.ts); '' = none. Fields given beside it win. */
  profile: string;
  model: string;
  port: string;
  startupMs: number;
  /** Each camera command inside a process (a settings read, a capture's own PTP exchanges). */
  commandMs: number;
  /** A capture: from the release to the file ready on the camera. */
  exposureMs: number;
  transferMs: number;
  /** Download rate in MB/s (10^6 bytes); 0 = use transferMs per file instead. */
  transferMBps: number;
  /** Size of the fake NEF of RAW+JPEG captures, in bytes. */
  rawBytes: number;
  lingerMs: number;
  hang: boolean;
  dieMidDownload: boolean;
  noCamera: boolean;
  busy: boolean;
  garbage: boolean;
  captureFailsExitZero: boolean;
  cardFull: boolean;
  raw: boolean;
  /** RAW+JPEG: how long after the first file the camera reports the second (0 = at once). */
  rawJpegGapMs: number;
  noLiveView: boolean;
  previewThumbPrefix: boolean;
  captureWidth: number;
  captureHeight: number;
  previewWidth: number;
  previewHeight: number;
  liveViewFps: number;
  liveViewWidth: number;
  liveViewHeight: number;
  /** Every Nth live-view frame is undecodable (no frame header), as a flaky USB link delivers; 0 never. */
  liveViewCorruptEvery: number;
  /**
   * 0: every live-view frame is drawn and encoded when it is due. N: the first N are kept and replayed
   * in a loop, so the stream costs the machine no encoding (a body's own encoder does not run on the
   * host): what `npm run bench:webview` uses to measure the panel, not the simulator.
   */
  liveViewFrameLoop: number;
  jpegQuality: number;
  /** Folder of the simulated USB device files (`<root>/BBB/DDD`, held open with the claim); '' = `usb/` in the state folder. */
  usbDeviceRoot: string;
}

export const DEFAULT_CONFIG: Readonly<SimConfig> = {
  profile: '',
  model: 'Camera Tether Simulator',
  port: 'usb:001,004',
  startupMs: 0,
  commandMs: 0,
  exposureMs: 0,
  transferMs: 0,
  transferMBps: 0,
  rawBytes: 320 * 1024,
  lingerMs: 0,
  hang: false,
  dieMidDownload: false,
  noCamera: false,
  busy: false,
  garbage: false,
  captureFailsExitZero: false,
  cardFull: false,
  raw: false,
  rawJpegGapMs: 0,
  noLiveView: false,
  previewThumbPrefix: false,
  captureWidth: 1200,
  captureHeight: 800,
  previewWidth: 640,
  previewHeight: 424,
  liveViewFps: 30,
  liveViewWidth: 640,
  liveViewHeight: 424,
  liveViewCorruptEvery: 0,
  liveViewFrameLoop: 0,
  jpegQuality: 80,
  usbDeviceRoot: '',
};

/** A broken test setup must be loud, not silently ignored: the caller exits with this message. */
export class SimConfigError extends Error {}

/**
 * CAMERA_TETHER_SIM_HOME (tests give each simulator its own), else `sim` in the user's private
 * Camera Tether folder: a predictable folder in the shared temp folder would let another user plant
 * the config.json read at every start. Resolving the default creates and checks the private folder
 * (throws CameraError naming the problem and the fix).
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CAMERA_TETHER_SIM_HOME;
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(privateRuntimeDir({ env }), 'sim');
}

export function ensureStateDir(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.CAMERA_TETHER_SIM_HOME) fs.mkdirSync(dir, { recursive: true });
  else ensurePrivateFolder(dir);
}

export function loadConfig(dir: string, env: NodeJS.ProcessEnv = process.env): SimConfig {
  const merged: SimConfig = { ...DEFAULT_CONFIG };
  const file = path.join(dir, 'config.json');
  let fileText: string | undefined;
  try {
    fileText = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new SimConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const sources: Array<{ fields: Record<string, unknown>; source: string }> = [];
  if (fileText !== undefined && fileText.trim() !== '')
    sources.push({ fields: parseObject(fileText, file), source: file });
  const fromEnv = env.CAMERA_TETHER_SIM_CONFIG;
  if (fromEnv && fromEnv.trim() !== '')
    sources.push({ fields: parseObject(fromEnv, 'CAMERA_TETHER_SIM_CONFIG'), source: 'CAMERA_TETHER_SIM_CONFIG' });
  // The profile's values first (the last source that names one), then every field given: they win.
  const named = sources.filter((s) => typeof s.fields.profile === 'string' && s.fields.profile !== '').at(-1);
  if (named) {
    const name = named.fields.profile as string;
    const profile = CAMERA_PROFILES[name];
    if (!profile)
      throw new SimConfigError(
        `${named.source}: unknown profile "${name}" (known: ${Object.keys(CAMERA_PROFILES).join(', ')})`,
      );
    applyFields(merged, profileFields(profile), `profile "${name}"`);
  }
  for (const s of sources) applyFields(merged, s.fields, s.source);
  return merged;
}

function parseObject(text: string, source: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SimConfigError(`${source} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SimConfigError(`${source} must hold a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function applyFields(target: SimConfig, parsed: Record<string, unknown>, source: string): void {
  const record = target as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in DEFAULT_CONFIG)) throw new SimConfigError(`${source}: unknown field "${key}"`);
    if (value === null || value === undefined) continue;
    const expected = typeof (DEFAULT_CONFIG as unknown as Record<string, unknown>)[key];
    if (typeof value !== expected) throw new SimConfigError(`${source}: "${key}" must be a ${expected}`);
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new SimConfigError(`${source}: "${key}" must be finite`);
    record[key] = value;
  }
  validate(target, source);
}

function validate(c: SimConfig, source: string): void {
  for (const key of [
    'captureWidth',
    'captureHeight',
    'previewWidth',
    'previewHeight',
    'liveViewWidth',
    'liveViewHeight',
  ] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 16 || c[key] > 8192)
      throw new SimConfigError(`${source}: "${key}" must be an integer from 16 to 8192`);
  }
  if (c.liveViewFps <= 0 || c.liveViewFps > 240)
    throw new SimConfigError(`${source}: "liveViewFps" must be above 0 and at most 240`);
  if (c.jpegQuality < 1 || c.jpegQuality > 100)
    throw new SimConfigError(`${source}: "jpegQuality" must be from 1 to 100`);
  for (const key of ['startupMs', 'commandMs', 'exposureMs', 'transferMs', 'transferMBps', 'rawJpegGapMs'] as const) {
    if (c[key] < 0) throw new SimConfigError(`${source}: "${key}" must not be negative`);
  }
  if (!Number.isInteger(c.rawBytes) || c.rawBytes < 4096 || c.rawBytes > 256 * 1024 * 1024)
    throw new SimConfigError(`${source}: "rawBytes" must be a whole number of bytes from 4096 to 268435456`);
  if (!Number.isInteger(c.liveViewCorruptEvery) || c.liveViewCorruptEvery < 0)
    throw new SimConfigError(`${source}: "liveViewCorruptEvery" must be 0 (never) or a whole number of frames`);
  if (!Number.isInteger(c.liveViewFrameLoop) || c.liveViewFrameLoop < 0 || c.liveViewFrameLoop > 240)
    throw new SimConfigError(
      `${source}: "liveViewFrameLoop" must be 0 (draw every frame) or a whole number of frames up to 240`,
    );
  if (c.lingerMs < -1) throw new SimConfigError(`${source}: "lingerMs" must be -1 (forever) or more`);
}
