/**
 * The per-user folder for files no other local user may touch: the cross-window camera lock and the
 * simulator's state. `$XDG_RUNTIME_DIR/camera-tether` where the session has a runtime folder (only its
 * user can enter it), else `<tmp>/camera-tether-<uid>` created with mode 0700.
 *
 * A shared temp folder lets anyone create that name first (a folder of theirs, or a symlink to one),
 * so the folder is checked with lstat before every use: a directory, not a symlink, owned by us, and
 * nobody else may write into it. A folder failing a check is refused with an error that names it,
 * the problem and the fix; it is never used. Synchronous (a few syscalls): the simulator needs it
 * before anything else runs, and the lock resolves it once per job.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CameraError } from './errors';

export interface PrivateDirOptions {
  /** Where XDG_RUNTIME_DIR is read from; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** The shared temp folder for the fallback; os.tmpdir() (which honours TMPDIR) by default. */
  tmpDir?: string;
}

const FOLDER = 'camera-tether';
const GROUP_OTHER_WRITE = 0o022;

/** Creates (if needed), checks and returns this user's private Camera Tether folder. Throws CameraError('io'). */
export function privateRuntimeDir(options: PrivateDirOptions = {}): string {
  const env = options.env ?? process.env;
  const uid = currentUid();
  const tmp = options.tmpDir ?? os.tmpdir();
  if (uid === undefined) {
    // Windows: the temp folder is the user's own (%LOCALAPPDATA%\Temp); there is no uid to check.
    const dir = path.join(tmp, FOLDER);
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }
  const xdg = env.XDG_RUNTIME_DIR;
  // The XDG spec says a relative value is invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) {
    const problem = folderProblem(xdg, uid, 'runtime');
    if (problem) {
      throw refusal(
        `XDG_RUNTIME_DIR (${xdg})`,
        problem,
        `Point XDG_RUNTIME_DIR at your own runtime folder (normally /run/user/${uid}, mode 0700) or unset it, then restart VS Code.`,
      );
    }
    return ensurePrivateFolder(path.join(xdg, FOLDER), uid);
  }
  const parent = fs.statSync(tmp, { throwIfNoEntry: false });
  if (parent && (parent.mode & 0o002) !== 0 && (parent.mode & 0o1000) === 0) {
    // Without the sticky bit anyone may rename our folder away and put theirs in its place.
    throw refusal(
      tmp,
      {
        kind: 'writableByOthers',
        text: "can be written by everyone and lacks the sticky bit, so another user could replace Camera Tether's folder in it",
      },
      'Set XDG_RUNTIME_DIR (or TMPDIR) to a folder only you can write to, then restart VS Code.',
    );
  }
  return ensurePrivateFolder(path.join(tmp, `${FOLDER}-${uid}`), uid);
}

/**
 * Creates `dir` with mode 0700 unless it exists, then checks it with lstat. A folder of ours whose
 * mode is merely too open for reading is fixed; one that others could write into is refused, since
 * they may already have put files in it.
 */
export function ensurePrivateFolder(dir: string, uid: number | undefined = currentUid()): string {
  let created = false;
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new CameraError(
        'io',
        `Cannot create Camera Tether's private folder ${dir}: ${(err as Error).message}. Check that its parent folder exists and is writable, or set XDG_RUNTIME_DIR to a folder of yours.`,
        { cause: err },
        ['showLog'],
      );
    }
  }
  if (uid === undefined) return dir;
  const problem = folderProblem(dir, uid, created ? 'created' : 'existing');
  if (problem) throw refusal(dir, problem, fixFor(dir, problem));
  const st = fs.lstatSync(dir);
  if ((st.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700); // ours, and nobody else can write into it
  return dir;
}

interface Problem {
  text: string;
  kind: 'missing' | 'symlink' | 'notFolder' | 'foreignOwner' | 'writableByOthers';
}

function folderProblem(dir: string, uid: number, what: 'runtime' | 'created' | 'existing'): Problem | undefined {
  const st = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return { kind: 'missing', text: 'does not exist' };
  if (st.isSymbolicLink()) return { kind: 'symlink', text: 'is a symbolic link' };
  if (!st.isDirectory()) return { kind: 'notFolder', text: 'is not a folder' };
  if (st.uid !== uid) return { kind: 'foreignOwner', text: `is owned by uid ${st.uid}, not by you (uid ${uid})` };
  // Our own fresh mkdir cannot carry others' files; an existing folder open to writers may.
  if (what !== 'created' && (st.mode & GROUP_OTHER_WRITE) !== 0) {
    return {
      kind: 'writableByOthers',
      text: `can be written by other users (mode 0${(st.mode & 0o7777).toString(8)})`,
    };
  }
  return undefined;
}

function fixFor(dir: string, problem: Problem): string {
  const again =
    'Camera Tether then creates it anew with mode 0700. Or set XDG_RUNTIME_DIR to a folder only you can write to (normally /run/user/<your uid>) and restart VS Code.';
  switch (problem.kind) {
    case 'foreignOwner':
      return `Another user may have created it to tamper with Camera Tether: ask an administrator to remove it (sudo rm -r "${dir}"). ${again}`;
    case 'symlink':
    case 'notFolder':
      return `Remove it (rm "${dir}"). ${again}`;
    default:
      return `Remove it (rm -r "${dir}"). ${again}`;
  }
}

function refusal(what: string, problem: Problem, fix: string): CameraError {
  return new CameraError(
    'io',
    `Camera Tether will not use ${what} for its lock and private files: it ${problem.text}. ${fix}`,
    {},
    ['showLog'],
  );
}

function currentUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}
