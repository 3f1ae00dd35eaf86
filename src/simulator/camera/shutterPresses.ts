/**
 * The camera body's own shutter button (or a cable release), pressed from outside without claiming
 * the camera: `gphoto2-sim --press-shutter`. A press leaves one record in `presses/` in the state
 * folder: an exposure the body has made but no USB session has been told about yet. A process that
 * waits for camera events (`--capture-tethered`, `--wait-event-and-download`, `--wait-event`)
 * takes the records in the order they were made, gives each its image number (it holds the claim,
 * so it alone writes state.json) and reports its files as "file added" events. With no listener
 * running the records stay, like pictures on the card, and the next listener reports them.
 *
 * Each file reported to a session is recorded in `card/` until that session has downloaded and
 * deleted it; what stays there (`--keep`, `--keep-raw`, `--wait-event`, a failed download, a killed
 * session) is never reported again, as a real body does not announce an old file twice.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export function pressesDir(stateDir: string): string {
  return path.join(stateDir, 'presses');
}

export function cardDir(stateDir: string): string {
  return path.join(stateDir, 'card');
}

/**
 * Records one press (atomically: a temp file renamed into place). Names sort in press order across
 * processes: the monotonic clock (system-wide on Linux) first, then pid and a random tail.
 */
export function pressShutter(stateDir: string, now: Date = new Date()): string {
  const dir = pressesDir(stateDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stamp = process.hrtime.bigint().toString().padStart(20, '0');
  const name = `${stamp}-${process.pid}-${randomBytes(4).toString('hex')}.press`;
  const tmp = path.join(dir, `.${name}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify({ time: now.getTime() })}\n`, { mode: 0o600 });
  fs.renameSync(tmp, path.join(dir, name));
  return name;
}

/** Presses not yet reported to any session, oldest first. */
export function pendingPresses(stateDir: string): string[] {
  try {
    return fs
      .readdirSync(pressesDir(stateDir))
      .filter((n) => n.endsWith('.press') && !n.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
}

/** When a queued press was made; undefined if it is gone (another session took it). */
export function readPress(stateDir: string, name: string): Date | undefined {
  const file = path.join(pressesDir(stateDir), name);
  let time = Date.now();
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { time?: unknown };
    if (typeof parsed.time === 'number' && Number.isFinite(parsed.time)) time = parsed.time;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  }
  return new Date(time);
}

export function removePress(stateDir: string, name: string): void {
  fs.rmSync(path.join(pressesDir(stateDir), name), { force: true });
}

/**
 * Records a file the camera has reported to a session: it is on the card until the session has
 * downloaded and deleted it (then removeFromCard), so a session killed mid-download loses nothing.
 */
export function keepOnCard(stateDir: string, folder: string, name: string, mtime: Date): void {
  const dir = cardDir(stateDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const record = `${JSON.stringify({ folder, name, time: mtime.getTime() })}\n`;
  const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, record, { mode: 0o600 });
  fs.renameSync(tmp, path.join(dir, `${name}.json`));
}

export function removeFromCard(stateDir: string, name: string): void {
  fs.rmSync(path.join(cardDir(stateDir), `${name}.json`), { force: true });
}

/**
 * Wakes `onPress` soon after a new press record appears: fs.watch where the platform has it, and a
 * poll every `pollMs` as the fallback (a watch can miss events, e.g. on network filesystems).
 * Returns the function that stops watching.
 */
export function watchPresses(stateDir: string, onPress: () => void, pollMs = 100): () => void {
  const dir = pressesDir(stateDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  let watcher: fs.FSWatcher | undefined;
  try {
    watcher = fs.watch(dir, (_event, name) => {
      if (name === null || String(name).endsWith('.press')) onPress();
    });
    watcher.on('error', () => undefined);
  } catch {
    watcher = undefined;
  }
  const timer = setInterval(() => {
    if (pendingPresses(stateDir).length > 0) onPress();
  }, pollMs);
  return () => {
    clearInterval(timer);
    watcher?.close();
  };
}
