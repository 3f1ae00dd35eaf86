/**
 * What the simulated camera remembers between processes (a real camera keeps its file counter
 * across USB sessions): the next image number and how many previews it has served. Only the
 * process holding the device lock writes it; writes go through a temp file and rename so a
 * SIGKILL never leaves a torn state.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PROPS, type PropKey, type PropValues } from './properties';

export interface CameraState {
  /** Number of the next picture: IMG_0001, IMG_0002, ... */
  nextImage: number;
  previews: number;
}

const INITIAL: CameraState = { nextImage: 1, previews: 0 };

export function readState(dir: string): CameraState {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as Partial<CameraState>;
    return {
      nextImage: positiveInt(parsed.nextImage, INITIAL.nextImage),
      previews: positiveInt(parsed.previews, INITIAL.previews),
    };
  } catch {
    return { ...INITIAL };
  }
}

export function writeState(dir: string, state: CameraState): void {
  const file = path.join(dir, 'state.json');
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(state)}\n`);
  fs.renameSync(tmp, file);
}

function positiveInt(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fallback;
}

/** Camera folder and file stem for image number n, rolling over like a DCF camera (100SIMUL/IMG_9999 -> 101SIMUL/IMG_0001). */
export function cameraFileFor(n: number): { folder: string; stem: string } {
  const index = Math.max(0, n - 1);
  const folderNo = 100 + Math.floor(index / 9999);
  const fileNo = (index % 9999) + 1;
  return { folder: `/store_00010001/DCIM/${folderNo}SIMUL`, stem: `IMG_${String(fileNo).padStart(4, '0')}` };
}

/**
 * `config-values.json`: the settings written through gphoto2 (`--set-config-value` and friends),
 * raw PTP values by property, kept across processes like a real body keeps them. Only written
 * properties are stored; the others follow the simulator's config (e.g. `raw` for the image
 * format). Unknown keys and values the camera does not offer are ignored.
 */
const CONFIG_VALUES_FILE = 'config-values.json';

export function readConfigValues(dir: string): Partial<PropValues> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path.join(dir, CONFIG_VALUES_FILE), 'utf8'));
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const out: Partial<PropValues> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.prototype.hasOwnProperty.call(PROPS, key) || typeof value !== 'number') continue;
    const def = PROPS[key as PropKey];
    const ok = def.values
      ? def.values.includes(value)
      : def.range !== undefined && value >= def.range.bottom && value <= def.range.top;
    if (ok) out[key as PropKey] = value;
  }
  return out;
}

export function writeConfigValues(dir: string, values: Partial<PropValues>): void {
  const file = path.join(dir, CONFIG_VALUES_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(values)}\n`);
  fs.renameSync(tmp, file);
}
