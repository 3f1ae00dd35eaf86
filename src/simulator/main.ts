/**
 * gphoto2-sim: a stand-in for the gphoto2 2.5.28 command line (the subset Camera Tether uses) with a
 * simulated USB camera. Run as `node dist/simulator.js <gphoto2 args>`. The flow follows gphoto2's
 * main(): scan options (unknown -> usage, exit 1), apply settings in order, detect the camera if a
 * command needs one, then run the commands in argv order until one fails.
 */
// First import, so it runs before any other module: sets process.title = 'gphoto2-sim'.
import './cli/processTitle';
import { randomBytes } from 'crypto';
import { parseArgs } from './cli/args';
import type { ParsedOption } from './cli/args';
import { captureImage } from './camera/captureAction';
import { getCardFile, listFiles } from './camera/cardFiles';
import { getConfig, listConfig, setConfig } from './camera/configTree';
import { GpContext } from './cli/gpContext';
import type { Flags } from './cli/gpContext';
import {
  GpError,
  GP_ERROR_CAMERA_BUSY,
  GP_ERROR_CANCEL,
  GP_ERROR_MODEL_NOT_FOUND,
  GP_ERROR_NOT_SUPPORTED,
  GP_ERROR_UNKNOWN_PORT,
} from './cli/gpError';
import { captureMovie } from './camera/liveStream';
import { pressShutter } from './camera/shutterPresses';
import { waitEvent } from './camera/waitEvent';
import {
  autoDetectText,
  contextErrorBlock,
  debugParagraph,
  DEVICE_BUSY_MESSAGE,
  finalErrorLine,
  HELP_TEXT,
  listPortsText,
  NO_CAMERA_MESSAGE,
  PORT_NOT_SET_MESSAGE,
  summaryText,
  unknownPortText,
  USAGE_TEXT,
  VERSION_TEXT,
} from './cli/outputTexts';
import { capturePreview } from './camera/previewAction';
import { CancelledError, Session } from './cli/session';
import { runShell } from './cli/shell';
import { SimCamera } from './camera/simCamera';
import type { Selection } from './camera/simCamera';
import { ensureStateDir, loadConfig, SimConfigError, stateDir } from './camera/simConfig';
import type { SimConfig } from './camera/simConfig';

/** The name of a `--press-shutter` run (/proc/PID/comm keeps 15 characters). */
const PRESS_PROCESS_TITLE = 'gphoto2-press';

/** Options that make gphoto2 look for a camera before running anything (CHECK_OPT in main.c). */
const CAMERA_COMMANDS: ReadonlySet<string> = new Set([
  'abilities',
  'capture-image',
  'capture-image-and-download',
  'capture-movie',
  'capture-preview',
  'show-preview',
  'capture-sound',
  'capture-tethered',
  'wait-event-and-download',
  'config',
  'delete-all-files',
  'delete-file',
  'get-all-audio-data',
  'get-all-files',
  'get-all-raw-data',
  'get-all-thumbnails',
  'get-audio-data',
  'get-config',
  'get-file',
  'get-raw-data',
  'get-thumbnail',
  'list-config',
  'list-all-config',
  'list-files',
  'list-folders',
  'manual',
  'mkdir',
  'num-files',
  'reset',
  'rmdir',
  'set-config',
  'set-config-index',
  'set-config-value',
  'shell',
  'show-exif',
  'show-info',
  'storage-info',
  'summary',
  'trigger-capture',
  'upload-file',
  'upload-metadata',
  'wait-event',
  'get-metadata',
  'get-all-metadata',
  'about',
]);

async function main(argv: readonly string[]): Promise<never> {
  const session = new Session(argv);
  let dir: string;
  let config: SimConfig;
  try {
    dir = stateDir();
    ensureStateDir(dir);
    config = loadConfig(dir);
  } catch (err) {
    // A broken test setup, not a camera error: say so plainly, outside gphoto2's vocabulary.
    session.err(`gphoto2-sim: ${err instanceof SimConfigError ? err.message : (err as Error).message}\n`);
    return session.exit(2);
  }
  // Simulator-only: the body's own shutter button, pressed without claiming the camera.
  if (argv.length === 1 && argv[0] === '--press-shutter') {
    // Not a camera process (it never claims the camera): a name cleanup does not stop.
    process.title = PRESS_PROCESS_TITLE;
    pressShutter(dir);
    return session.exit(0);
  }

  if (config.garbage) {
    emitGarbage(session);
    return session.exit(0);
  }

  const parsed = parseArgs(argv);
  if (parsed.kind === 'noArgs') {
    session.out(USAGE_TEXT);
    return session.exit(0);
  }
  if (parsed.kind === 'badOption') {
    session.err(USAGE_TEXT);
    return session.exit(1);
  }
  const options = parsed.options;
  const has = (name: string): boolean => options.some((o) => o.name === name);
  if (has('help')) {
    session.out(HELP_TEXT);
    return session.exit(0);
  }
  if (has('usage')) {
    session.out(USAGE_TEXT);
    return session.exit(0);
  }
  const debug = has('debug');
  const fail = (code: number): never => {
    if (code === GP_ERROR_CANCEL) {
      session.err('Operation cancelled.\n');
    } else {
      session.err(finalErrorLine(code));
      if (!debug) session.out(debugParagraph(argv));
    }
    return session.exit(1);
  };

  // Settings, in argv order; the first bad one ends the run (gphoto2's INITIALIZE pass).
  const flags: Flags = {
    quiet: false,
    stdout: false,
    stdoutSize: false,
    forceOverwrite: false,
    skipExisting: false,
    keep: false,
    keepRaw: false,
    parsable: false,
    debug,
  };
  const selection: Selection = {};
  let filename: string | undefined;
  let fileNumber = 1;
  for (const o of options) {
    const value = o.value ?? '';
    switch (o.name) {
      case 'filename':
        filename = value;
        break;
      case 'filenumber':
        fileNumber = Number(value);
        break;
      case 'force-overwrite':
        flags.forceOverwrite = true;
        break;
      case 'skip-existing':
        flags.skipExisting = true;
        break;
      case 'keep':
        flags.keep = true;
        break;
      case 'no-keep':
        flags.keep = false;
        break;
      case 'keep-raw':
        flags.keepRaw = true;
        break;
      case 'quiet':
        flags.quiet = true;
        break;
      case 'parsable':
        flags.quiet = flags.parsable = true;
        break;
      case 'stdout':
        flags.quiet = flags.stdout = true;
        break;
      case 'stdout-size':
        flags.quiet = flags.stdout = flags.stdoutSize = true;
        break;
      case 'camera':
        // libgphoto2 looks models up case-insensitively and knows no other camera here.
        if (value.toLowerCase() !== config.model.toLowerCase()) return fail(GP_ERROR_MODEL_NOT_FOUND);
        selection.model = config.model;
        break;
      case 'port': {
        const port = checkPort(value);
        if (!port.ok) {
          if (port.text) session.err(port.text);
          return fail(GP_ERROR_UNKNOWN_PORT);
        }
        selection.port = port.port;
        break;
      }
      case 'version':
        session.out(VERSION_TEXT);
        break;
      default:
        break;
    }
  }

  // Detection: without both --camera and --port gphoto2 auto-detects, and with exactly one camera
  // found it uses that camera's model AND port, whatever --port said.
  if (options.some((o) => CAMERA_COMMANDS.has(o.name)) && (!selection.model || !selection.port)) {
    if (config.noCamera) {
      session.err(contextErrorBlock(selection.model ? PORT_NOT_SET_MESSAGE : NO_CAMERA_MESSAGE));
      return fail(selection.model ? GP_ERROR_UNKNOWN_PORT : GP_ERROR_MODEL_NOT_FOUND);
    }
    selection.model = config.model;
    selection.port = config.port;
  }

  session.quiet = flags.quiet;
  session.installSignalHandlers();
  const camera = new SimCamera(session, config, dir, selection);
  const gp = new GpContext(session, camera, flags, filename, fileNumber);

  // gphoto2 runs EVERY action, in order, even after one failed, and exits with the result of the
  // last action (popt hands all callback options over in one poptGetNextOpt call). Recorded: a
  // refused --set-config-value followed by --get-config exits 0, and a refused write before a
  // capture does not stop the capture. Options that are not actions leave the result as it is.
  let result = 0;
  try {
    for (const o of options) {
      const r = await run(gp, o);
      if (r !== undefined) result = r;
    }
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err;
    result = GP_ERROR_CANCEL;
  }
  if (result < 0) {
    if (result === GP_ERROR_CANCEL) session.err('Operation cancelled.\n');
    else {
      session.err(finalErrorLine(result));
      if (!debug) session.out(debugParagraph(argv));
    }
  }
  // Like a camera that is slow to let go: all output is out, the claim is still held.
  if (session.lock && config.lingerMs !== 0) await session.wait(config.lingerMs);
  return session.exit(result < 0 ? 1 : 0);
}

/** One command of gphoto2's RUN pass; returns its result code (undefined for an option that is no action). */
async function run(gp: GpContext, o: ParsedOption): Promise<number | undefined> {
  const { session, camera } = gp;
  const config = camera.config;
  try {
    // A camera profile's cost of each command's own exchanges with the camera (the shell's are its commands').
    if (config.commandMs > 0 && o.name !== 'shell' && CAMERA_COMMANDS.has(o.name))
      await session.sleep(config.commandMs);
    switch (o.name) {
      case 'auto-detect':
        session.out(autoDetectText(config.noCamera ? [] : [{ model: config.model, port: config.port }]));
        return 0;
      case 'list-ports':
        session.out(listPortsText(config.noCamera ? undefined : config.port, gp.flags.quiet));
        return 0;
      case 'list-cameras':
        session.out(
          gp.flags.quiet
            ? `1\n${config.model}\n`
            : `Number of supported cameras: 1\nSupported cameras:\n\t"${config.model}"\n`,
        );
        return 0;
      case 'summary':
        await camera.ensureOpen();
        session.checkpoint();
        if (config.busy) throw new GpError(GP_ERROR_CAMERA_BUSY, DEVICE_BUSY_MESSAGE);
        session.out(summaryText(config.model, 'SIM00000001', camera.values, camera.nextImage));
        return 0;
      case 'capture-preview':
        await capturePreview(gp);
        return 0;
      case 'capture-image':
        return await captureImage(gp, false);
      case 'capture-image-and-download':
        return await captureImage(gp, true);
      case 'capture-movie':
        return await captureMovie(gp, o.value);
      case 'wait-event':
        return await waitEvent(gp, false, o.value);
      case 'wait-event-and-download':
      case 'capture-tethered':
        return await waitEvent(gp, true, o.value);
      case 'list-files':
        await listFiles(gp, gp.flags.parsable);
        return 0;
      case 'get-file':
        // A camera path (what Camera Tether passes); a number range is not modelled.
        if (/^[\d-]+$/.test(o.value ?? '')) {
          await camera.ensureOpen();
          return GP_ERROR_NOT_SUPPORTED;
        }
        await getCardFile(gp, o.value ?? '');
        return 0;
      case 'list-config':
      case 'list-all-config':
        await listConfig(gp, o.name === 'list-all-config');
        return 0;
      case 'get-config':
        await getConfig(gp, o.value ?? '');
        return 0;
      case 'set-config':
      case 'set-config-index':
      case 'set-config-value':
        await setConfig(gp, o.name, o.value ?? '');
        return 0;
      case 'version':
        return 0;
      case 'shell':
        // Each shell command runs through this same function (cli/shell.ts).
        return await runShell(gp, (command) => run(gp, command));
      default:
        if (!CAMERA_COMMANDS.has(o.name)) return undefined; // a setting, handled before
        // A real gphoto2 command this simulator does not model: the camera "cannot do it".
        await camera.ensureOpen();
        return GP_ERROR_NOT_SUPPORTED;
    }
  } catch (err) {
    if (!(err instanceof GpError)) throw err;
    gp.printContext(err);
    return err.code;
  }
}

type PortCheck = { ok: true; port: string } | { ok: false; text?: string };

/** action_camera_set_port(): guess a missing prefix, then look the port up in this build's port list. */
function checkPort(port: string): PortCheck {
  let verified = port;
  if (!port.includes(':')) {
    if (port === 'usb') verified = 'usb:';
    else if (port.startsWith('/dev/')) verified = `serial:${port}`;
    else if (port.startsWith('/proc/')) verified = `usb:${port}`;
    else return { ok: false }; // gphoto2 prints only the final error line here
  }
  if (/^(usb|serial|ptpip|ip|disk):/.test(verified)) return { ok: true, port: verified };
  return { ok: false, text: unknownPortText(verified) };
}

/** The `garbage` fault: output that is clearly not gphoto2's, on both streams. */
function emitGarbage(session: Session): void {
  const words = (): string => randomBytes(24).toString('base64').replace(/[+/=]/g, ' ');
  session.out(`${words()}\n`);
  session.out(randomBytes(96));
  session.out(`\n${words()}\n`);
  session.err(`${words()}\n`);
  session.err(randomBytes(48).toString('latin1'));
  session.err('\n');
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(
    `gphoto2-sim: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(70);
});
