/**
 * `--shell`: gphoto2 2.5.28's interactive shell (gphoto2/shell.c) as Camera Tether's driver meets
 * it with stdin a pipe, checked against the real transcripts in test/fixtures/gphoto2/shell/:
 * - the prompt `gphoto2: {<local folder>} <camera folder>> ` (the local folder shortened to `...` and
 *   its last 22 characters when longer than 25; `gphoto2: {} > ` with -q), without a newline;
 * - every line read comes back twice on stdout (readline's echo, then gphoto2's own);
 * - commands run through the same code as their command-line options; a failure prints libgphoto2's
 *   message on stderr (as there) and the shell's `*** Error (<code>: '<text>') ***` on STDOUT, and the
 *   shell goes on; a command's own cancellation (-112) is not reported and does not end the shell;
 * - `lcd` changes the local folder (downloads land there, under the camera's names with `--filename=`);
 * - end of input prints a newline and leaves; `exit`, `quit` and `q` leave;
 * - at the prompt SIGTERM ends the shell (readline returns end of input); SIGINT leaves a cancel
 *   pending for the next line: a command that checks for it stops silently and the shell goes on, one
 *   that does not finishes and then the shell ends. During a command a signal stops it at its next
 *   safe point (silently, the shell goes on), or, when nothing was left to stop, the shell ends after
 *   it. SIGUSR2 during an event wait ends only the wait.
 * The camera is opened by the first command that needs it. When that fails, the command reports the
 * port's error (`ls`; the configuration commands report -110 with the port's message), and every
 * later camera command of the shell reports -110 "I/O in progress": libgphoto2 keeps the failed
 * camera marked as in use (recorded: shell-absent-port).
 */
import * as path from 'path';
import type { ParsedOption } from './args';
import type { GpContext } from './gpContext';
import {
  GpError,
  GP_ERROR_CAMERA_BUSY,
  GP_ERROR_CANCEL,
  GP_ERROR_FILE_NOT_FOUND,
  GP_ERROR_NOT_SUPPORTED,
} from './gpError';
import { resultText } from './outputTexts';
import { CancelledError } from './session';
import { readLine } from './stdinLines';

/** Runs one command-line option (main.ts's `run`): its result code; undefined for a non-action. */
export type OptionRunner = (option: ParsedOption) => Promise<number | undefined>;

interface ShellCommand {
  name: string;
  description: string;
  argument?: string;
  argRequired: boolean;
  run: (shell: Shell, args: string) => Promise<number>;
}

/** A shell command that is a command-line option with the same name and its first word as value. */
const option =
  (name: string, withValue = false) =>
  (shell: Shell, args: string): Promise<number> =>
    shell.cameraCommand({ name, ...(withValue ? { value: firstWord(args) } : {}) });

/** set-config*: NAME=VALUE (or NAME VALUE), the value may hold spaces. */
const setter =
  (name: string) =>
  async (shell: Shell, args: string): Promise<number> => {
    const x = args.replace(/^ +/, '');
    const eq = x.indexOf('=');
    const sp = x.indexOf(' ');
    const cut = eq >= 0 ? eq : sp;
    if (cut < 0) {
      shell.gp.session.err(`${name} needs a second argument.\n`);
      return 0;
    }
    return shell.cameraCommand({ name, value: `${x.slice(0, cut)}=${x.slice(cut + 1)}` }, true);
  };

/** What the real shell has but the simulator does not model: the camera "cannot do it". */
const unsupported = (shell: Shell): Promise<number> => shell.cameraFails(GP_ERROR_NOT_SUPPORTED);

/** shell.c's command table, in its order (help prints it so). */
const COMMANDS: readonly ShellCommand[] = [
  {
    name: 'cd',
    description: 'Change to a directory on the camera',
    argument: 'directory',
    argRequired: true,
    run: unsupported,
  },
  {
    name: 'lcd',
    description: 'Change to a directory on the local drive',
    argument: 'directory',
    argRequired: false,
    run: async (s, a) => s.lcd(a),
  },
  { name: 'exit', description: 'Exit the gPhoto shell', argRequired: false, run: async (s) => s.leave() },
  {
    name: 'get',
    description: 'Download a file',
    argument: '[directory/]filename',
    argRequired: true,
    run: unsupported,
  },
  { name: 'put', description: 'Upload a file', argument: '[directory/]filename', argRequired: true, run: unsupported },
  {
    name: 'get-thumbnail',
    description: 'Download a thumbnail',
    argument: '[directory/]filename',
    argRequired: true,
    run: unsupported,
  },
  {
    name: 'get-raw',
    description: 'Download raw data',
    argument: '[directory/]filename',
    argRequired: true,
    run: unsupported,
  },
  {
    name: 'show-info',
    description: 'Show image information, like width, height, and capture time',
    argument: '[directory/]filename',
    argRequired: true,
    run: unsupported,
  },
  { name: 'delete', description: 'Delete', argument: '[directory/]filename', argRequired: true, run: unsupported },
  { name: 'mkdir', description: 'Create Directory', argument: 'directory', argRequired: true, run: unsupported },
  { name: 'rmdir', description: 'Remove Directory', argument: 'directory', argRequired: true, run: unsupported },
  {
    name: 'show-exif',
    description: 'Show EXIF information of JPEG images',
    argument: '[directory/]filename',
    argRequired: true,
    run: unsupported,
  },
  {
    name: 'help',
    description: 'Displays command usage',
    argument: '[command]',
    argRequired: false,
    run: async (s, a) => s.help(a),
  },
  {
    name: 'ls',
    description: 'List the contents of the current directory',
    argument: '[directory/]',
    argRequired: false,
    run: (s, a) => s.ls(a),
  },
  { name: 'summary', description: 'Show camera summary', argRequired: false, run: option('summary') },
  { name: 'storage-info', description: 'Show storage information', argRequired: false, run: option('storage-info') },
  { name: 'list-config', description: 'List configuration variables', argRequired: false, run: option('list-config') },
  {
    name: 'get-config',
    description: 'Get configuration variable',
    argument: 'name',
    argRequired: true,
    // One block per name; the first that fails ends the command (CHECK in shell_get_config).
    run: async (s, a) => {
      for (const name of words(a)) {
        const r = await s.cameraCommand({ name: 'get-config', value: name }, true);
        if (r < 0) return r;
      }
      return 0;
    },
  },
  {
    name: 'set-config',
    description: 'Set configuration variable',
    argument: 'name=value',
    argRequired: true,
    run: setter('set-config'),
  },
  {
    name: 'set-config-index',
    description: 'Set configuration variable index',
    argument: 'name=valueindex',
    argRequired: true,
    run: setter('set-config-index'),
  },
  {
    name: 'set-config-value',
    description: 'Set configuration variable',
    argument: 'name=value',
    argRequired: true,
    run: setter('set-config-value'),
  },
  {
    name: 'trigger-capture',
    description: 'Triggers the capture of a single image',
    argRequired: false,
    run: option('trigger-capture'),
  },
  { name: 'capture-image', description: 'Capture a single image', argRequired: false, run: option('capture-image') },
  {
    name: 'capture-image-and-download',
    description: 'Capture a single image and download it',
    argRequired: false,
    run: option('capture-image-and-download'),
  },
  {
    name: 'capture-preview',
    description: 'Capture a preview image',
    argRequired: false,
    run: option('capture-preview'),
  },
  {
    name: 'wait-event',
    description: 'Wait for an event',
    argument: 'count or seconds',
    argRequired: false,
    run: option('wait-event', true),
  },
  {
    name: 'capture-tethered',
    description: 'Wait for images to be captured and download it',
    argument: 'count or seconds',
    argRequired: false,
    run: option('wait-event-and-download', true),
  },
  {
    name: 'wait-event-and-download',
    description: 'Wait for events and images to be captured and download it',
    argument: 'count or seconds',
    argRequired: false,
    run: option('wait-event-and-download', true),
  },
  { name: 'q', description: 'Exit the gPhoto shell', argRequired: false, run: async (s) => s.leave() },
  { name: 'quit', description: 'Exit the gPhoto shell', argRequired: false, run: async (s) => s.leave() },
  {
    name: '?',
    description: 'Displays command usage',
    argument: '[command]',
    argRequired: false,
    run: async (s, a) => s.help(a),
  },
];

/** The shell's words: split at white space (shell_arg). */
function words(args: string): string[] {
  return args.split(/\s+/).filter((w) => w !== '');
}

function firstWord(args: string): string | undefined {
  return words(args)[0];
}

/**
 * shell_construct_path: `rel` (leading spaces skipped) against `base`: an absolute path starts over
 * at `/`; `./` is skipped, `../` and a final `..` go up one folder, empty parts vanish; the rest is
 * kept as typed (no symbolic links are resolved).
 */
export function constructLocalPath(base: string, rel: string): string {
  let rest = rel.replace(/^ +/, '');
  let dest: string;
  if (rest.startsWith('/')) {
    rest = rest.replace(/^\/+/, '');
    dest = '/';
  } else {
    dest = base;
  }
  for (;;) {
    if (rest.startsWith('./')) {
      rest = rest.slice(2);
      continue;
    }
    if (rest.startsWith('../') || rest === '..') {
      rest = rest.slice(Math.min(3, rest.length));
      const slash = dest.lastIndexOf('/');
      dest = slash <= 0 ? '/' : dest.slice(0, slash);
      continue;
    }
    const slash = rest.indexOf('/');
    if (rest !== '' && !dest.endsWith('/')) dest += '/';
    if (slash < 0) return dest + rest;
    dest += rest.slice(0, slash);
    rest = rest.slice(slash + 1);
  }
}

export class Shell {
  private done = false;
  /** The camera failed to open in this shell: libgphoto2 now answers every camera call with -110. */
  private openFailed = false;

  constructor(
    readonly gp: GpContext,
    private readonly runOption: OptionRunner,
  ) {}

  /** shell_prompt(): reads and runs lines until exit, end of input or a signal; returns gphoto2's result. */
  async run(): Promise<number> {
    const { session } = this.gp;
    while (!this.done && !session.cancelled) {
      session.out(this.prompt());
      // While readline reads, SIGTERM makes it return end of input; SIGINT only leaves the cancel
      // pending for the next line (recorded: shell-sigterm-idle, shell-sigint-idle).
      let stopWaiting: () => void = () => undefined;
      const terminated = new Promise<null>((resolve) => {
        stopWaiting = session.onStopSignal((signal) => {
          if (signal === 'SIGTERM') resolve(null);
        });
      });
      const read = await Promise.race([readLine(), terminated]);
      stopWaiting();
      if (read === null) {
        session.out('\n');
        break;
      }
      // stdinLines reads bytes (latin1, one char each, as fgets does); the line is UTF-8 text like
      // the folder names it carries (`lcd /tmp/Film ß`), and gphoto2 passes those bytes on as they are.
      const bytes = read.endsWith('\n') ? read.slice(0, -1) : read;
      const line = Buffer.from(bytes, 'latin1').toString('utf8');
      // readline's echo of what it read, then gphoto2's own printf (stdin is no tty).
      session.out(`${line}\n${line}\n`);
      // A pending cancel goes into the command: one that checks for it stops (-112, and the shell
      // goes on), one that does not finishes and the shell ends after it.
      await this.execute(line);
    }
    return 0;
  }

  prompt(): string {
    if (this.gp.session.quiet) return 'gphoto2: {} > ';
    const cwd = process.cwd();
    const shown = cwd.length > 25 ? `...${cwd.slice(-22)}` : cwd;
    return `gphoto2: {${shown}} ${this.gp.folder}> `;
  }

  private async execute(line: string): Promise<void> {
    const { session } = this.gp;
    const cmd = firstWord(line);
    if (cmd === undefined) return;
    const args = line.slice(line.indexOf(cmd) + cmd.length);
    const command = COMMANDS.find((c) => c.name === cmd);
    if (!command) {
      session.err('ERROR: Invalid command.\n');
      return;
    }
    if (command.argRequired && words(args).length === 0) {
      session.out(`The command '${cmd}' requires an argument.\n`);
      return;
    }
    let r: number;
    try {
      r = await command.run(this, args);
    } catch (err) {
      if (!(err instanceof CancelledError)) throw err;
      r = GP_ERROR_CANCEL;
    }
    // CHECK_CONT: a cancelled command clears the cancel and the shell goes on; other errors are printed.
    if (r === GP_ERROR_CANCEL) session.clearCancel();
    else if (r < 0) session.out(`*** Error (${r}: '${resultText(r)}') ***\n`);
  }

  /**
   * A command that needs the camera: opened first (libgphoto2 opens on first use). `reportsBusy`: the
   * configuration commands report a failed open as -110 (their fallback to the whole tree finds the
   * camera marked in use), with the port's message.
   */
  async cameraCommand(o: ParsedOption, reportsBusy = false): Promise<number> {
    const opened = await this.open(reportsBusy);
    if (opened < 0) return opened;
    return (await this.runOption(o)) ?? 0;
  }

  /** A camera command the simulator does not model: the camera opens, then refuses. */
  async cameraFails(code: number): Promise<number> {
    const opened = await this.open(false);
    return opened < 0 ? opened : code;
  }

  private async open(reportsBusy: boolean): Promise<number> {
    if (this.openFailed) return GP_ERROR_CAMERA_BUSY;
    try {
      await this.gp.camera.ensureOpen();
      return 0;
    } catch (err) {
      if (!(err instanceof GpError)) throw err;
      this.openFailed = true;
      this.gp.printContext(err);
      return reportsBusy ? GP_ERROR_CAMERA_BUSY : err.code;
    }
  }

  /** shell_lcd: no argument = $HOME; prints the new folder, or an error naming it. */
  lcd(args: string): number {
    const { session } = this.gp;
    let target: string;
    if (words(args).length === 0) {
      const home = process.env.HOME;
      if (!home) {
        session.err('ERROR: Could not find home directory.\n');
        return 0;
      }
      target = home;
    } else {
      target = constructLocalPath(process.cwd(), args);
    }
    try {
      process.chdir(target);
    } catch {
      session.err(`ERROR: Could not change to local directory '${target}'.\n`);
      return 0;
    }
    session.out(`Local directory now '${target}'.\n`);
    return 0;
  }

  /**
   * shell_ls: folders as `name/` then files, each `%-20s`, four a line. The simulated card's tree is
   * /store_00010001/DCIM; what the camera shot is in `card/` and not listed here.
   */
  async ls(args: string): Promise<number> {
    const opened = await this.open(false);
    if (opened < 0) return opened;
    this.gp.session.checkpoint(); // listing a folder checks for a cancel (shell-sigint-idle)
    await this.gp.session.sleep(this.gp.camera.config.commandMs);
    const folder = words(args).length > 0 ? constructLocalPath(this.gp.folder, args) : this.gp.folder;
    const tree: Readonly<Record<string, readonly string[]>> = {
      '/': ['store_00010001'],
      '/store_00010001': ['DCIM'],
      '/store_00010001/DCIM': [],
    };
    const folders = tree[folder.length > 1 ? folder.replace(/\/+$/, '') : folder];
    if (folders === undefined) return GP_ERROR_FILE_NOT_FOUND;
    const quiet = this.gp.flags.quiet;
    let out = quiet ? `${folders.length}\n` : '';
    let y = 1;
    for (const name of folders) {
      if (quiet) out += `${name}\n`;
      else {
        out += `${name}/`.padEnd(20);
        if (y++ % 4 === 0) out += '\n';
      }
    }
    if (quiet) out += '0\n';
    else if (y % 4 !== 1) out += '\n';
    this.gp.session.out(out);
    return 0;
  }

  leave(): number {
    this.done = true;
    return 0;
  }

  help(args: string): number {
    const { session } = this.gp;
    const name = firstWord(args);
    if (name === undefined) {
      session.out(
        'Available commands:\n' +
          COMMANDS.map((c) => `\t${c.name.padEnd(16)}${c.description}\n`).join('') +
          "\nTo get help on a particular command, type in 'help command-name'.\n\n",
      );
      return 0;
    }
    const c = COMMANDS.find((x) => x.name === name);
    if (!c) {
      session.out(`Command '${name}' not found. Use 'help' to get a list of available commands.\n`);
      return 0;
    }
    session.out(
      `Help on "${c.name}":\n\nUsage: ${c.name} ${c.argument ?? ''}\nDescription:\n\t${c.description}\n\n` +
        '* Arguments in brackets [] are optional\n',
    );
    return 0;
  }
}

/** `--shell`: runs the shell in the simulator's working folder; returns gphoto2's result. */
export function runShell(gp: GpContext, runOption: OptionRunner): Promise<number> {
  gp.folder = path.posix.normalize(gp.folder || '/');
  return new Shell(gp, runOption).run();
}
