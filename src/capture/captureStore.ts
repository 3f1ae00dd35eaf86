/**
 * Where captured files go and what they are called. A roll is a folder under the output folder; the
 * next frame number is derived from the files in it (so a restart, a crash or a second window never
 * reuses a number) unless the user set it. A file that exists is never overwritten: files are moved
 * from a staging folder with link(2) (atomic, fails if the name exists), falling back to an
 * exclusive copy on file systems without hard links.
 */
import { randomUUID } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { isCompleteJpeg, listDownloaded } from '../camera/downloadedFiles';
import { exists, placeNoOverwrite } from './fileMoves';
import type { StoredExposureLock } from './exposureLockRecord';
import type { FrameNote, RollDetails } from './rollDetails';
import {
  completePending,
  readState,
  rejectedNumbers,
  rejectFrame,
  scanRejected,
  scanRoll,
  setFrameNote,
  setRollDetails,
  unrejectFrame,
  wantsSidecars,
  writeSidecars,
  type FrameFiles,
  type RejectedFrame,
  type RejectResult,
  type RollContext,
  type SidecarReport,
} from './rollReview';
import { readRollState, ROLL_STATE_FILE, updateRollState, type RollState } from './rollState';
import { isSidecarName } from './xmpSidecar';
import {
  checkRollName,
  formatDate,
  formatTime,
  inside,
  MAX_FRAME,
  NamingError,
  safeExtension,
  type FilenamePattern,
} from './fileNaming';
import {
  judgeOwner,
  ownIdentity,
  parseStagingName,
  probePid,
  processesUsing,
  stagingPrefix,
  type OwnerIdentity,
  type PidProbe,
} from './stagingOwner';

export interface StagedFile {
  path: string;
  bytes: number;
  extension: string;
}

export interface CommittedFile {
  path: string;
  name: string;
  bytes: number;
}

export interface FrameResult {
  frame: number;
  files: CommittedFile[];
  roll: string;
  folder: string;
}

export interface RollInfo {
  roll: string;
  folder: string;
  nextFrame: number;
  /** Distinct frame numbers already in the roll. */
  captured: number;
  /** The frame the next capture re-takes (Reshoot Frame), if one is waiting. */
  reshoot?: number;
}

export interface RecoveredFolder {
  /** Where the files are now: `<output>/recovered/<date>-<time>-<id>`. */
  folder: string;
  /** The staging folder they were left in. */
  from: string;
  /** Why its owner counts as gone. */
  reason: string;
  /** Complete files, by their new paths. */
  files: string[];
  /** Files that were still downloading when the owner died, kept with "-incomplete" in the name. */
  incomplete: string[];
}

export interface RecoveryReport {
  recovered: RecoveredFolder[];
  /** Staging folders not touched, and why (a live window, another machine, a process still writing...). */
  leftAlone: { folder: string; reason: string }[];
  /** Problems met on the way (the files stay where they are). */
  errors: string[];
}

export type StoreLog = (level: 'info' | 'warn' | 'error', message: string) => void;

export const STAGING_FOLDER = '.camera-tether-staging';
export const TEST_FOLDER = 'test-captures';
export const RECOVERED_FOLDER = 'recovered';
const MAX_RESHOT_SUFFIX = 999;

export class CaptureStore {
  private rollName: string;
  private stagingSeq = 0;
  private recovering: Promise<unknown> = Promise.resolve();
  /** Changes to the roll (a capture filed, a frame rejected, details set), one at a time. */
  private serial: Promise<unknown> = Promise.resolve();
  private readonly logged = new Set<string>();
  /** Where the store reports what it decided on its own (a counter ignored, files recovered). */
  log: StoreLog = () => undefined;

  constructor(
    private outputFolder: string,
    private pattern: FilenamePattern,
    roll: string,
  ) {
    this.rollName = checkRollName(roll);
  }

  get roll(): string {
    return this.rollName;
  }

  get output(): string {
    return this.outputFolder;
  }

  /** The filename pattern in force (the Rolls view groups a roll's files by it). */
  get filenamePattern(): FilenamePattern {
    return this.pattern;
  }

  get rollFolder(): string {
    return inside(this.outputFolder, this.rollName);
  }

  get testFolder(): string {
    return inside(this.outputFolder, TEST_FOLDER);
  }

  configure(outputFolder: string, pattern: FilenamePattern): void {
    this.outputFolder = outputFolder;
    this.pattern = pattern;
  }

  /** A roll name the user chose, checked alone and with the filename pattern; returns it trimmed. */
  checkNewRollName(name: string): string {
    const roll = checkUsableRollName(name);
    this.pattern.checkRoll(roll);
    return roll;
  }

  /** Throws before a capture when the current roll and pattern cannot name a frame (see checkRoll). */
  checkFramesCanBeNamed(): void {
    this.pattern.checkRoll(this.rollName);
  }

  /**
   * Throws when the roll has no frame number left (the counter, or a file, is at or past
   * MAX_FRAME). Called before the camera fires, so it never deletes an image we cannot file.
   */
  async checkNextFrameFree(): Promise<void> {
    if ((await this.nextFrame()) > MAX_FRAME) throw await this.frameLimitError();
  }

  /**
   * Switches to (and creates) a roll; numbering continues from what is on disk there. The pattern
   * is not checked here, so a remembered roll still opens after the pattern changed; captures check.
   */
  async openRoll(name: string): Promise<RollInfo> {
    const roll = checkUsableRollName(name);
    this.rollName = roll;
    await ensureDir(this.rollFolder);
    // A reject or restore the last window did not finish (it crashed half-way): finish it first.
    await this.exclusive(() => completePending(this.context)).catch((err: unknown) =>
      this.log(
        'error',
        `Could not finish an interrupted reject or restore in roll "${roll}": ${(err as Error).message}`,
      ),
    );
    return this.info();
  }

  async info(): Promise<RollInfo> {
    const frames = await this.framesOnDisk();
    const reshoot = await this.pendingReshoot();
    return {
      roll: this.rollName,
      folder: this.rollFolder,
      nextFrame: await this.nextFrame(frames),
      captured: frames.size,
      ...(reshoot !== undefined ? { reshoot } : {}),
    };
  }

  /**
   * The frame waiting for its reshoot; else one more than the highest frame on disk (in the roll or
   * in rejected/, so a rejected number is taken again only by a reshoot), unless the user set the
   * counter. MAX_FRAME + 1 means the roll is full (checkFramesCanBeNamed says why); it never goes
   * beyond that.
   */
  async nextFrame(frames?: Set<number>): Promise<number> {
    const reshoot = await this.pendingReshoot();
    if (reshoot !== undefined) return reshoot;
    const counter = await this.readCounter();
    if (counter !== undefined) return counter;
    return this.derivedNext(frames ?? (await this.framesOnDisk()));
  }

  private async derivedNext(inRoll: ReadonlySet<number>): Promise<number> {
    const all = new Set(inRoll);
    for (const n of await rejectedNumbers(this.context)) all.add(n);
    return nextAfter(all);
  }

  /** The user's explicit "next frame is N" (e.g. to re-shoot frame 12); kept with the roll. */
  async setNextFrame(n: number): Promise<number> {
    if (!Number.isInteger(n) || n < 1 || n > MAX_FRAME)
      throw new RangeError(`The frame number must be a whole number from 1 to ${MAX_FRAME} (got ${n}).`);
    await this.writeCounter(n);
    return n;
  }

  /** Writes the counter file; MAX_FRAME + 1 (after the last frame) is allowed here only. */
  private async writeCounter(n: number): Promise<void> {
    await ensureDir(this.rollFolder);
    await updateRollState(this.rollFolder, (s) => {
      s.nextFrame = n;
    });
  }

  get stagingRoot(): string {
    return path.join(this.outputFolder, STAGING_FOLDER);
  }

  /**
   * A fresh, empty staging folder on the same file system as the roll, named after its owner (see
   * stagingOwner.ts) so that another window can tell when it was left behind by a crash.
   */
  async newStagingDir(): Promise<string> {
    const root = this.stagingRoot;
    await ensureDir(root);
    return fs.mkdtemp(path.join(root, stagingPrefix(ownIdentity(), ++this.stagingSeq)));
  }

  /**
   * Files a crashed or killed window left in the staging folder (gphoto2 had downloaded them, and
   * the camera may have deleted them from its card): a folder whose owner is provably gone on this
   * machine goes to `recovered/<date>-<time>-<id>/`. Complete files keep their names; a file that was
   * still arriving is kept too, as `<name>-incomplete.<ext>`, since it may be the only copy. Folders
   * of live windows, of other machines, or still in use by a process (a gphoto2 that outlived its
   * window) are left alone and reported. Never overwrites, never deletes a byte (only empty files).
   */
  recoverOrphans(options: { self?: OwnerIdentity; probe?: PidProbe; when?: Date } = {}): Promise<RecoveryReport> {
    // One at a time in this window (start-up, Cleanup and a sweep can ask together).
    const run = this.recovering.then(() => this.recoverOrphansNow(options));
    this.recovering = run.catch(() => undefined);
    return run;
  }

  private async recoverOrphansNow(options: {
    self?: OwnerIdentity;
    probe?: PidProbe;
    when?: Date;
  }): Promise<RecoveryReport> {
    const report: RecoveryReport = { recovered: [], leftAlone: [], errors: [] };
    const root = this.stagingRoot;
    const me = options.self ?? ownIdentity();
    let names: string[];
    try {
      names = await fs.readdir(root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        report.errors.push(`Cannot read ${root}: ${(err as Error).message}`);
      return report;
    }
    const orphans: { dir: string; reason: string }[] = [];
    for (const name of names.sort()) {
      const dir = path.join(root, name);
      const st = await fs.lstat(dir).catch(() => undefined);
      if (!st?.isDirectory()) continue;
      const parsed = parseStagingName(name);
      if (!parsed) {
        report.leftAlone.push({ folder: dir, reason: 'not a name Camera Tether gives its staging folders' });
        continue;
      }
      const verdict = await judgeOwner(parsed, me, options.probe ?? probePid);
      if (verdict.state === 'gone') orphans.push({ dir, reason: verdict.reason });
      else report.leftAlone.push({ folder: dir, reason: verdict.reason });
    }
    if (orphans.length === 0) return report;
    const inUse =
      process.platform === 'linux'
        ? await processesUsing(orphans.map((o) => o.dir))
        : new Map<string, { pid: number; name: string }[]>();
    for (const orphan of orphans) {
      const users = inUse.get(path.resolve(orphan.dir));
      if (users) {
        report.leftAlone.push({
          folder: orphan.dir,
          reason: `${orphan.reason}, but ${users.map((u) => `${u.name} (pid ${u.pid})`).join(', ')} still uses it; Cleanup stops a leftover gphoto2, then its files are recovered`,
        });
        continue;
      }
      try {
        const done = await this.recoverFolder(orphan.dir, orphan.reason, me, options.when ?? new Date());
        if (done) report.recovered.push(done);
      } catch (err) {
        report.errors.push(`Could not recover ${orphan.dir}: ${(err as Error).message}; its files stay there.`);
      }
    }
    return report;
  }

  /**
   * Claims the folder first (an atomic rename into a name of our own, in the same folder, so two
   * windows never recover it twice and a crash of ours part-way leaves it as OUR orphan for the
   * next window), then moves its files with rescue's never-overwrite moves.
   */
  private async recoverFolder(
    dir: string,
    reason: string,
    me: OwnerIdentity,
    when: Date,
  ): Promise<RecoveredFolder | undefined> {
    const claimed = path.join(
      path.dirname(dir),
      `${stagingPrefix(me, `r${++this.stagingSeq}`)}${path.basename(dir).slice(-6)}`,
    );
    try {
      await fs.rename(dir, claimed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // another window took it
      throw err;
    }
    const entries = await listDownloaded(claimed);
    const regular: typeof entries = [];
    for (const f of entries) if ((await fs.lstat(f.path)).isFile()) regular.push(f);
    const complete: StagedFile[] = [];
    const incomplete: StagedFile[] = [];
    for (const f of regular) {
      if (f.bytes === 0) {
        await fs.rm(f.path); // nothing to keep, and an empty "image" would only confuse
        continue;
      }
      const name = path.basename(f.path);
      if (/^tmpfile[A-Za-z0-9]{6}$/.test(name)) {
        // gphoto2's download in progress (it renames it when done): the name says nothing, the bytes may.
        const jpeg = await startsLikeJpeg(f.path);
        if (jpeg && (await isCompleteJpeg(f.path).catch(() => false)))
          complete.push({ path: f.path, bytes: f.bytes, extension: 'JPG' });
        else incomplete.push({ path: f.path, bytes: f.bytes, extension: jpeg ? 'JPG' : 'bin' });
      } else if (f.complete) complete.push(f);
      else incomplete.push(f);
    }
    let folder: string | undefined;
    const partial: string[] = [];
    if (complete.length + incomplete.length > 0) {
      folder = await this.rescue(complete, when);
      for (const f of incomplete) {
        const base = `${path.basename(f.path, path.extname(f.path))}-incomplete`;
        const [placed] = await moveAllNoOverwrite([f], folder, base);
        partial.push(placed.path);
      }
    }
    const leftover = await fs.readdir(claimed);
    if (leftover.length === 0) await fs.rmdir(claimed);
    else this.log('warn', `Recovering ${dir}: left ${leftover.join(', ')} in ${claimed} (not plain files).`);
    if (!folder) return undefined;
    const files = (await fs.readdir(folder)).map((n) => path.join(folder, n));
    return {
      folder,
      from: dir,
      reason,
      files: files.filter((f) => !partial.includes(f)).sort(),
      incomplete: partial.sort(),
    };
  }

  /**
   * Gives one exposure's files (RAW+JPEG share it) the next frame number (a waiting reshoot's first)
   * and moves them into the roll; then writes their sidecars when the roll has details or notes.
   */
  commitFrame(files: readonly StagedFile[], when = new Date()): Promise<FrameResult> {
    return this.exclusive(() => this.commitFrameNow(files, when));
  }

  private async commitFrameNow(files: readonly StagedFile[], when: Date): Promise<FrameResult> {
    const folder = this.rollFolder;
    await ensureDir(folder);
    const ctx = this.context;
    await completePending(ctx);
    const reshoot = await this.pendingReshoot();
    const counter = reshoot === undefined ? await this.readCounter() : undefined;
    const frame = reshoot ?? counter ?? (await this.derivedNext(await this.framesOnDisk()));
    // The last guard (the session checks before the camera fires): nothing has moved yet.
    if (frame > MAX_FRAME) throw await this.frameLimitError();
    const base = this.pattern.render(frame, { roll: this.rollName, when });
    // A reshoot is used up, and a set counter advances, BEFORE the files move: once they are in the
    // roll nothing may fail, or a filed capture would be reported as failed. Without either, the
    // files on disk are the counter.
    if (reshoot !== undefined)
      await updateRollState(folder, (s) => {
        s.reshoot = undefined;
      });
    else if (counter !== undefined) await this.writeCounter(frame + 1);
    let committed: CommittedFile[];
    try {
      committed = await moveAllNoOverwrite(files, folder, base);
    } catch (err) {
      // Nothing was filed (moveAllNoOverwrite puts back what it moved): the next capture gets this number again.
      const restore =
        reshoot !== undefined
          ? updateRollState(folder, (s) => {
              s.reshoot = reshoot;
            })
          : counter !== undefined
            ? this.writeCounter(frame)
            : undefined;
      await restore?.catch((restoreErr: unknown) => {
        this.log(
          'error',
          `Could not set the frame counter of roll "${this.rollName}" back to ${frame} after a failed capture (${(restoreErr as Error).message}): frame ${frame} will be skipped. Nothing is overwritten; Set Frame Number can take it back.`,
        );
      });
      throw err;
    }
    // Filed: a sidecar that cannot be written is logged, never reported as a failed capture.
    try {
      const state = await readState(ctx);
      if (wantsSidecars(state)) await writeSidecars(ctx, [frame], { state });
    } catch (err) {
      this.log('warn', `Frame ${frame} was filed, but its sidecars were not written: ${(err as Error).message}`);
    }
    return { frame, files: committed, roll: this.rollName, folder };
  }

  /** Test captures go beside the rolls, never touch the counter, and are never overwritten either. */
  async commitTest(
    files: readonly StagedFile[],
    when = new Date(),
  ): Promise<{ files: CommittedFile[]; folder: string }> {
    const folder = this.testFolder;
    await ensureDir(folder);
    const committed = await moveAllNoOverwrite(files, folder, `test-${formatDate(when)}-${formatTime(when)}`);
    return { files: committed, folder };
  }

  async framesOnDisk(): Promise<Set<number>> {
    return new Set((await this.framesWithNames()).keys());
  }

  /** Frame number -> one file name carrying it. */
  private async framesWithNames(): Promise<Map<number, string>> {
    const frames = new Map<number, string>();
    let names: string[];
    try {
      names = await fs.readdir(this.rollFolder);
    } catch {
      return frames;
    }
    for (const name of names) {
      // A sidecar alone does not hold a frame number (its images may have been moved away).
      if (isSidecarName(name)) continue;
      const n = this.pattern.frameOf(name, this.rollName);
      if (n !== undefined && !frames.has(n)) frames.set(n, name);
    }
    return frames;
  }

  /** Why the roll cannot take another frame (the counter or a file is at or past MAX_FRAME). */
  private async frameLimitError(): Promise<NamingError> {
    const roll = this.rollName;
    const fixes = `Start a new roll (Camera Tether: New Roll), or set a lower frame number (Camera Tether: Set Frame Number) to continue there; nothing was captured.`;
    const read = await this.readCounterValue();
    const raw = read && 'value' in read ? read.value : undefined;
    if (typeof raw === 'number' && raw > MAX_FRAME + 1) {
      return new NamingError(
        `The frame counter of roll "${roll}" (${path.join(this.rollFolder, ROLL_STATE_FILE)}) says the next frame is ${raw}, beyond ${MAX_FRAME}, the highest frame number. ${fixes}`,
      );
    }
    if ((await this.readCounter()) === undefined) {
      let beyond: [number, string] | undefined;
      for (const [n, name] of await this.framesWithNames())
        if (n > MAX_FRAME && (!beyond || n > beyond[0])) beyond = [n, name];
      if (beyond) {
        return new NamingError(
          `Roll "${roll}" holds ${beyond[1]}, numbered beyond ${MAX_FRAME} (the highest frame number), so the counter cannot continue after it. Move or rename that file, or: ${fixes}`,
        );
      }
    }
    return new NamingError(`Roll "${roll}" has reached frame ${MAX_FRAME}, the highest frame number. ${fixes}`);
  }

  /**
   * Keeps complete files of a capture that failed after they arrived (a timeout while gphoto2
   * lingered, a roll folder that turned read-only...): the camera may already have deleted them.
   * Returns the folder they were moved to.
   */
  async rescue(files: readonly StagedFile[], when = new Date()): Promise<string> {
    const folder = inside(this.recoveredRoot, `${formatDate(when)}-${formatTime(when)}-${randomUUID().slice(0, 8)}`);
    await ensureDir(folder);
    for (const f of files) {
      const base = path.basename(f.path, path.extname(f.path));
      await moveAllNoOverwrite([f], folder, base);
    }
    return folder;
  }

  get recoveredRoot(): string {
    return path.join(this.outputFolder, RECOVERED_FOLDER);
  }

  /**
   * The set counter: 1..MAX_FRAME, or MAX_FRAME + 1 for "full" (also for any whole number beyond,
   * such as 1e21: refused at capture with a message naming the file, never put in a name).
   * Anything else in the file is ignored, with a log line: numbering then follows the files.
   */
  private async readCounter(): Promise<number | undefined> {
    const file = path.join(this.rollFolder, ROLL_STATE_FILE);
    const read = await this.readCounterValue();
    if (read === undefined) return undefined;
    const n = 'value' in read ? read.value : undefined;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1) {
      if (n > MAX_FRAME + 1)
        this.logOnce(
          `counter:${file}:${n}`,
          'warn',
          `The frame counter of roll "${this.rollName}" (${file}) says the next frame is ${n}, beyond ${MAX_FRAME}: captures into this roll are refused until Set Frame Number or New Roll.`,
        );
      return Math.min(n, MAX_FRAME + 1);
    }
    const what =
      'problem' in read
        ? read.problem
        : `its nextFrame is ${JSON.stringify(n) ?? String(n)}, not a whole number from 1 to ${MAX_FRAME}`;
    this.logOnce(
      `counter:${file}:${what}`,
      'warn',
      `Ignoring the frame counter of roll "${this.rollName}" (${file}): ${what}. Numbering follows the files in the roll; Set Frame Number writes a valid counter.`,
    );
    return undefined;
  }

  /** The counter file's `nextFrame` as written; undefined when no counter is set. */
  private async readCounterValue(): Promise<{ value: unknown } | { problem: string } | undefined> {
    const read = await readRollState(this.rollFolder);
    if (read.kind === 'missing') return undefined;
    if (read.kind === 'broken') return { problem: read.problem };
    if (read.state.nextFrame !== undefined) return { value: read.state.nextFrame };
    // Written by this version with no counter set (details or notes only): nothing to say.
    return read.structured ? undefined : { problem: 'it has no nextFrame' };
  }

  /** info() runs after every capture: say each problem once, not each time. */
  private logOnce(key: string, level: 'info' | 'warn' | 'error', message: string): void {
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.log(level, message);
  }

  // ---- Review (issue 13): roll details, frame notes, reject / restore / reshoot, sidecars ----

  /** The current roll as the review functions see it (read at the start of each operation). */
  private get context(): RollContext {
    return { roll: this.rollName, folder: this.rollFolder, pattern: this.pattern, log: (l, m) => this.log(l, m) };
  }

  /** One change to the roll at a time in this window: a capture being filed, a reject, new details... */
  private exclusive<T>(run: () => Promise<T>): Promise<T> {
    const result = this.serial.then(run);
    this.serial = result.catch(() => undefined);
    return result;
  }

  /** The frame the next capture re-takes, if a reshoot is waiting. */
  async pendingReshoot(): Promise<number | undefined> {
    const read = await readRollState(this.rollFolder);
    return read.kind === 'ok' ? read.state.reshoot : undefined;
  }

  /** The roll's state file as it is now (details, notes, counter, reshoot). */
  async rollState(): Promise<RollState> {
    return readState(this.context);
  }

  /**
   * The exposure the roll is locked to, read from its file now (another window may have changed it);
   * `problem`: the file holds a lock record that cannot be used, and why.
   */
  async exposureLock(): Promise<{ lock?: StoredExposureLock; problem?: string }> {
    const read = await readRollState(this.rollFolder);
    if (read.kind !== 'ok') return {};
    const problem = read.problems.find((p) => p.startsWith('exposureLock '));
    return read.state.exposureLock ? { lock: read.state.exposureLock } : problem ? { problem } : {};
  }

  /** Locks the roll's exposure to `lock`, or unlocks it (undefined). */
  setExposureLock(lock: StoredExposureLock | undefined): Promise<void> {
    return this.exclusive(async () => {
      await ensureDir(this.rollFolder);
      await updateRollState(this.rollFolder, (s) => {
        s.exposureLock = lock;
        delete s.extra.exposureLock;
      });
    });
  }

  async rollDetails(): Promise<RollDetails> {
    return (await readState(this.context)).details;
  }

  /** Merges `patch` into the roll's details (see mergeRollDetails), then rewrites the roll's sidecars. */
  setRollDetails(patch: unknown): Promise<{ details: RollDetails; sidecars: SidecarReport }> {
    return this.exclusive(async () => {
      const ctx = this.context;
      await ensureDir(ctx.folder);
      const details = await setRollDetails(ctx, patch);
      return { details, sidecars: await writeSidecars(ctx) };
    });
  }

  /** Sets or clears frame `n`'s note and film-edge label, then rewrites its sidecars. */
  setFrameNote(
    n: number,
    change: { note?: unknown; label?: unknown },
  ): Promise<{ frame: number; note: FrameNote; sidecars: SidecarReport }> {
    return this.exclusive(async () => {
      const ctx = this.context;
      const note = await setFrameNote(ctx, n, change);
      return { frame: n, note, sidecars: await writeSidecars(ctx, [n]) };
    });
  }

  /** Moves frame `n`'s files to `rejected/frame-NNNN.K/` (never deleted, never replacing anything). */
  rejectFrame(n: number): Promise<RejectResult> {
    return this.exclusive(async () => {
      const ctx = this.context;
      await completePending(ctx);
      const r = await rejectFrame(ctx, n);
      if (!r) throw new Error(`Frame ${n} was not rejected.`); // only a reshoot returns nothing
      return r;
    });
  }

  /**
   * The next capture takes frame `n`'s number; `n`'s files move to rejected/ now (if still in the
   * roll). A reshoot already waiting for another frame is replaced (`replaced`).
   */
  reshootFrame(n: number): Promise<{ frame: number; rejected?: RejectResult; replaced?: number }> {
    return this.exclusive(async () => {
      const ctx = this.context;
      await completePending(ctx);
      const before = await this.pendingReshoot();
      const rejected = await rejectFrame(ctx, n, { reshoot: true });
      return {
        frame: n,
        ...(rejected ? { rejected } : {}),
        ...(before !== undefined && before !== n ? { replaced: before } : {}),
      };
    });
  }

  /** Brings the latest reject of frame `n` (or the one in rejected/`folder`) back under its number. */
  unrejectFrame(n: number, folder?: string): Promise<{ frame: number; files: string[]; sidecars: SidecarReport }> {
    return this.exclusive(async () => {
      const ctx = this.context;
      await completePending(ctx);
      const r = await unrejectFrame(ctx, n, folder);
      // The details may have changed while it was away.
      return { ...r, sidecars: await writeSidecars(ctx, [n]) };
    });
  }

  /** Every frame in the roll with its image and sidecar names (one readdir). */
  frameFiles(): Promise<Map<number, FrameFiles>> {
    return scanRoll(this.context);
  }

  /** The rejected frames, oldest reject first per number. */
  rejectedFrames(): Promise<RejectedFrame[]> {
    return scanRejected(this.context);
  }
}

/** One more than the highest frame, capped at MAX_FRAME + 1 ("full"): a stray `frame-99999999.JPG` cannot push it further. */
function nextAfter(frames: ReadonlySet<number>): number {
  let highest = 0;
  for (const n of frames) if (n > highest) highest = n; // no Math.max(...): a huge roll would overflow the stack
  return Math.min(highest, MAX_FRAME) + 1;
}

/**
 * Moves an exposure's files to `<base>.<ext>`, or `<base>_2.<ext>`, `<base>_3.<ext>`... when any of
 * those names is taken, so the files of one exposure always share one name stem.
 */
async function moveAllNoOverwrite(
  files: readonly StagedFile[],
  folder: string,
  base: string,
): Promise<CommittedFile[]> {
  for (let attempt = 1; attempt <= MAX_RESHOT_SUFFIX; attempt++) {
    const stem = attempt === 1 ? base : `${base}_${attempt}`;
    const targets = files.map((f) => inside(folder, `${stem}.${safeExtension(f.extension)}`));
    if (new Set(targets.map((t) => t.toLowerCase())).size !== targets.length) {
      throw new Error(
        `One exposure produced two files with the same extension (${files.map((f) => path.basename(f.path)).join(', ')}); not renaming them onto each other.`,
      );
    }
    if ((await Promise.all(targets.map(exists))).some(Boolean)) continue;
    const done: CommittedFile[] = [];
    let clash = false;
    try {
      for (let i = 0; i < files.length; i++) {
        if (!(await placeNoOverwrite(files[i].path, targets[i]))) {
          clash = true;
          break;
        }
        done.push({ path: targets[i], name: path.basename(targets[i]), bytes: files[i].bytes });
      }
    } catch (err) {
      // A move failed half-way (RAW filed, JPEG not): put the filed ones back, so the exposure is
      // either wholly in the roll or wholly rescued. If that fails too, they stay filed (not lost).
      for (let i = 0; i < done.length; i++) await fs.rename(done[i].path, files[i].path).catch(() => undefined);
      throw err;
    }
    if (!clash) return done;
    // Another writer took a name between the check and the move: put ours back and try the next stem.
    for (let i = 0; i < done.length; i++) await fs.rename(done[i].path, files[i].path);
  }
  throw new Error(`Could not find a free file name for "${base}" in ${folder} after ${MAX_RESHOT_SUFFIX} tries.`);
}

async function startsLikeJpeg(file: string): Promise<boolean> {
  const handle = await fs.open(file, 'r');
  try {
    const head = Buffer.alloc(3);
    const { bytesRead } = await handle.read(head, 0, 3, 0);
    return bytesRead === 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
  } finally {
    await handle.close();
  }
}

/**
 * mkdir -p that reports the real reason: Node's recursive mkdir says ENOENT on a read-only or full
 * file system; a plain mkdir of the missing part says EROFS/ENOSPC/EACCES.
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    let existing = path.dirname(dir);
    while (!(await exists(existing)) && path.dirname(existing) !== existing) existing = path.dirname(existing);
    const firstMissing = path.join(existing, path.relative(existing, dir).split(path.sep)[0]);
    await fs.mkdir(firstMissing);
    throw err;
  }
}

function checkUsableRollName(name: string): string {
  const roll = checkRollName(name);
  if (roll === TEST_FOLDER) throw new Error(`"${TEST_FOLDER}" is where test captures go; choose another roll name.`);
  return roll;
}
