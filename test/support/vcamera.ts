// How to run Debian's real /usr/bin/gphoto2 against libgphoto2's virtual camera (vusb + vcamera,
// an emulated Nikon D750 that reports itself as "GP VC"), as built by test/setup/build-vcamera.sh.
// No vscode import: usable from unit, integration and extension tests alike.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const GPHOTO2_BINARY = '/usr/bin/gphoto2';
export const VCAMERA_DEFAULT_PREFIX = '/opt/camera-tether-vcamera';
/** The camera model and port that reach the virtual camera. Always pass both (gphoto2 remembers them). */
export const VCAMERA_CAMERA_ARGS: readonly string[] = ['--camera', 'Nikon DSC D750', '--port', 'usb:>/dev/null'];

const STAMP_FILE = '.camera-tether-vcamera.stamp';
const ENV_FILE = 'camera-tether-vcamera.env';

export interface VcameraEnv {
  LD_LIBRARY_PATH: string;
  IOLIBS: string;
  CAMLIBS: string;
  /** A private HOME: gphoto2 rewrites $HOME/.gphoto/settings on every run. */
  HOME: string;
}

export interface VcameraGphoto2 {
  command: string;
  /** `--camera 'Nikon DSC D750' --port 'usb:>/dev/null'`; put the action (e.g. `--summary`) after these. */
  baseArgs: readonly string[];
  /** Add to (not instead of) the inherited environment. */
  env: VcameraEnv;
  /** The folder holding the file `>/dev/null` (USB ids 04b0:0437): gphoto2 MUST run in it. */
  cwd: string;
  /** The card the camera serves: `<vcameraDir>/DCIM/100GPHOT/*.JPG`. */
  vcameraDir: string;
  prefix: string;
}

export interface VcameraOptions {
  /** Defaults to $CAMERA_TETHER_VCAMERA_PREFIX, then /opt/camera-tether-vcamera. */
  prefix?: string;
  /** Use this HOME instead of creating a fresh temp dir (the caller removes it). */
  home?: string;
}

interface BuildPaths {
  prefix: string;
  ldLibraryPath: string;
  iolibs: string;
  camlibs: string;
  vcameraDir: string;
  cwd: string;
}

export function vcameraPrefix(options: VcameraOptions = {}): string {
  return options.prefix ?? process.env.CAMERA_TETHER_VCAMERA_PREFIX ?? VCAMERA_DEFAULT_PREFIX;
}

function readEnvFile(file: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const match = /^([A-Z_0-9]+)=(.*)$/.exec(line);
    if (match) vars.set(match[1], match[2]);
  }
  return vars;
}

/** Reads the build; returns the paths, or a reason why the virtual camera cannot be used. */
function inspectBuild(prefix: string): BuildPaths | string {
  const hint = `run test/setup/build-vcamera.sh (prefix ${prefix})`;
  if (!fs.existsSync(GPHOTO2_BINARY)) return `${GPHOTO2_BINARY} is not installed (apt-get install gphoto2)`;
  if (!fs.existsSync(path.join(prefix, STAMP_FILE)))
    return `no vcamera build: ${path.join(prefix, STAMP_FILE)} is missing; ${hint}`;
  const envFile = path.join(prefix, ENV_FILE);
  if (!fs.existsSync(envFile)) return `no vcamera build: ${envFile} is missing; ${hint}`;
  const vars = readEnvFile(envFile);
  const get = (key: string): string | undefined => vars.get(key);
  const ldLibraryPath = get('LD_LIBRARY_PATH');
  const iolibs = get('IOLIBS');
  const camlibs = get('CAMLIBS');
  const vcameraDir = get('VCAMERA_DIR');
  const cwd = get('VUSB_CWD');
  if (!ldLibraryPath || !iolibs || !camlibs || !vcameraDir || !cwd) return `incomplete ${envFile}; ${hint}`;
  const required = [
    path.join(iolibs, 'vusb.so'),
    path.join(camlibs, 'ptp2.so'),
    path.join(vcameraDir, 'DCIM'),
    path.join(cwd, '>', 'dev', 'null'),
  ];
  for (const file of required) {
    if (!fs.existsSync(file)) return `vcamera build is broken: ${file} is missing; ${hint}`;
  }
  return { prefix, ldLibraryPath, iolibs, camlibs, vcameraDir, cwd };
}

/** Why the virtual camera is unavailable, or undefined when it can be used. */
export function vcameraUnavailableReason(options: VcameraOptions = {}): string | undefined {
  const build = inspectBuild(vcameraPrefix(options));
  return typeof build === 'string' ? build : undefined;
}

/**
 * Why this user cannot DOWNLOAD from the virtual camera in its shared folder, or undefined when it can:
 * gphoto2 creates each download's temp file (tmpfileXXXXXX) in its working folder, which a build made
 * by another user (root, in CI) does not let this user write. Commands that only talk to the camera
 * (summary, config, list) still work. Suites that run gphoto2 in a private folder of their own (the
 * manager suites' wrapper) are not affected.
 */
export function vcameraDownloadsUnavailableReason(vc: VcameraGphoto2): string | undefined {
  try {
    fs.accessSync(vc.cwd, fs.constants.W_OK);
    return undefined;
  } catch {
    return (
      `${vc.cwd} is not writable by uid ${process.getuid?.() ?? '?'} and gphoto2 creates its download's temp file in its ` +
      `working folder; build a virtual camera of your own: CAMERA_TETHER_VCAMERA_PREFIX=~/.cache/camera-tether-vcamera ` +
      `bash test/setup/build-vcamera.sh`
    );
  }
}

export function isVcameraAvailable(options: VcameraOptions = {}): boolean {
  return vcameraUnavailableReason(options) === undefined;
}

/**
 * How to run /usr/bin/gphoto2 against the virtual camera, or undefined when the build is missing
 * (see vcameraUnavailableReason() for why). Each call creates a fresh private HOME unless one is
 * given. Give gphoto2 absolute --filename paths (it runs in `cwd`) and a closed stdin.
 */
export function vcameraGphoto2(options: VcameraOptions = {}): VcameraGphoto2 | undefined {
  const build = inspectBuild(vcameraPrefix(options));
  if (typeof build === 'string') return undefined;
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), 'camera-tether-vcamera-home-'));
  return {
    command: GPHOTO2_BINARY,
    baseArgs: [...VCAMERA_CAMERA_ARGS],
    env: { LD_LIBRARY_PATH: build.ldLibraryPath, IOLIBS: build.iolibs, CAMLIBS: build.camlibs, HOME: home },
    cwd: build.cwd,
    vcameraDir: build.vcameraDir,
    prefix: build.prefix,
  };
}
