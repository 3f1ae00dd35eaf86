/**
 * Feeds the panel's filmstrip: the current roll's frames and the test captures as one message
 * (names, labels, and the thumbnails already cached), then thumbnails one by one as the strip asks
 * for the items scrolled into view (made in the session's worker threads). Also runs reshoot /
 * reject from the strip through the same commands as the palette, and keeps each roll's view
 * (negative mode, film base, rotation, mirror) in the workspace state, keyed by the roll's folder.
 *
 * Why workspace state and not the roll's state file: the view is how this user looks at the roll,
 * not something the files or their sidecars say about the film; keeping it out of the roll folder
 * leaves the files other tools read unchanged, and the domain's state file needs no new field.
 */
import * as vscode from 'vscode';
import { isJpegName } from '../camera/downloadedFiles';
import type { TetherSession } from '../session/tetherSession';
import {
  DEFAULT_ROLL_VIEW,
  parseRollView,
  type FrameAction,
  type HostMessage,
  type PanelStrip,
  type PanelStripItem,
  type RollView,
  type StripName,
} from './panelProtocol';

const VIEW_KEY_PREFIX = 'cameraTether.rollView:';
/** Captures and edits come in bursts (tethered shooting, a reject): one listing per burst. */
const REFRESH_DELAY_MS = 150;

export interface FilmstripTarget {
  /** The webview URI of a file, or undefined while the panel is closed. */
  uri(file: string): string | undefined;
  post(message: HostMessage): void;
  /** The panel shows a strip only while its page is ready. */
  readonly live: boolean;
}

export class FilmstripFeed implements vscode.Disposable {
  private timer: NodeJS.Timeout | undefined;
  private listing: Promise<void> | undefined;
  private again = false;
  private readonly off: (() => void)[] = [];

  constructor(
    private readonly session: TetherSession,
    private readonly target: FilmstripTarget,
    private readonly memory: vscode.Memento | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {
    let folder = session.snapshot().folder;
    const soon = () => this.refreshSoon();
    const changed = (s: { folder: string }) => {
      if (s.folder === folder) return;
      folder = s.folder;
      this.refreshSoon();
    };
    session.on('framesChanged', soon);
    session.on('frameCaptured', soon);
    session.on('testCaptured', soon);
    session.on('changed', changed);
    this.off.push(
      () => session.off('framesChanged', soon),
      () => session.off('frameCaptured', soon),
      () => session.off('testCaptured', soon),
      () => session.off('changed', changed),
    );
  }

  /** Lists the roll again shortly (once for a burst of changes). */
  refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, REFRESH_DELAY_MS);
  }

  /** Sends the strips now (one listing at a time; a change during one lists again after it). */
  refresh(): Promise<void> {
    if (this.listing) {
      this.again = true;
      return this.listing;
    }
    this.listing = (async () => {
      do {
        this.again = false;
        try {
          if (this.target.live) this.target.post({ type: 'filmstrip', strip: await this.strip() });
        } catch (err) {
          this.log.warn(`Filmstrip: could not list the roll: ${(err as Error).message}`);
        }
      } while (this.again);
    })().finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  private async strip(): Promise<PanelStrip> {
    const [roll, tests] = await Promise.all([this.session.listFrames(), this.session.listTestCaptures()]);
    const frames = roll.frames.map((f): PanelStripItem => {
      const jpeg = f.files.find((file) => isJpegName(file));
      const thumbnailUri = f.thumbnail ? this.target.uri(f.thumbnail) : undefined;
      return {
        key: String(f.frame),
        frame: f.frame,
        label: f.label,
        name: f.files.map(baseName).join(' + '),
        ...(f.note !== undefined ? { note: f.note } : {}),
        ...(thumbnailUri ? { thumbnailUri } : {}),
        ...(jpeg ? { imageUri: this.target.uri(jpeg) } : {}),
        // True only when the thumbnailer found no preview in the file (a thumbnail not made yet is false).
        none: f.noThumbnail,
      };
    });
    return {
      roll: roll.roll,
      frames,
      tests: tests.captures.map((t): PanelStripItem => {
        const jpeg = t.files.find((file) => isJpegName(file));
        const thumbnailUri = t.thumbnail ? this.target.uri(t.thumbnail) : undefined;
        return {
          key: t.name,
          label: testLabel(t.name),
          name: t.files.map(baseName).join(' + '),
          ...(thumbnailUri ? { thumbnailUri } : {}),
          ...(jpeg ? { imageUri: this.target.uri(jpeg) } : {}),
          none: t.noThumbnail,
        };
      }),
      ...(roll.reshoot !== undefined ? { reshoot: roll.reshoot } : {}),
      view: this.viewOf(roll.folder),
    };
  }

  /** Makes the thumbnails the strip asks for, sending each as soon as it is made. */
  async thumbnails(strip: StripName, keys: readonly string[]): Promise<void> {
    const send = (key: string, file: string | undefined) => {
      const uri = file ? this.target.uri(file) : undefined;
      this.target.post({ type: 'thumbnail', strip, key, ...(uri ? { uri } : {}) });
    };
    try {
      if (strip === 'frames') {
        const numbers = keys.map(Number).filter((n) => Number.isInteger(n) && n > 0);
        await this.session.frameThumbnails(numbers, (n, file) => send(String(n), file));
        return;
      }
      await Promise.all(
        keys.map(async (name) =>
          send(
            name,
            await this.session.testCaptureThumbnail(name).catch((err: unknown) => {
              this.log.warn(`Filmstrip: no thumbnail for test capture ${name}: ${(err as Error).message}`);
              return undefined;
            }),
          ),
        ),
      );
    } catch (err) {
      this.log.warn(`Filmstrip: thumbnails failed: ${(err as Error).message}`);
    }
  }

  /** Reshoot or reject from the strip: the palette's commands, with their messages and errors. */
  async frameAction(action: FrameAction, frame: number): Promise<void> {
    const command = action === 'reshoot' ? 'cameraTether.reshootFrame' : 'cameraTether.rejectFrame';
    await vscode.commands.executeCommand(command, frame).then(undefined, () => undefined);
  }

  /** Remembers the view of `roll` (only the current roll: the page can only look at that one). */
  async setView(roll: string, view: RollView): Promise<void> {
    const s = this.session.snapshot();
    if (roll !== s.roll) return;
    await this.memory?.update(VIEW_KEY_PREFIX + s.folder, view);
  }

  viewOf(rollFolder: string): RollView {
    const stored = this.memory?.get<unknown>(VIEW_KEY_PREFIX + rollFolder);
    return stored === undefined ? DEFAULT_ROLL_VIEW : parseRollView(stored);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const off of this.off) off();
  }
}

function baseName(file: string): string {
  return file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1);
}

/** A test capture is named by its time (test-2026-11-30-101112): the strip prints 10:11:12. */
function testLabel(name: string): string {
  const m = /(\d{2})(\d{2})(\d{2})(?:[^\d].*)?$/.exec(name);
  return m ? `${m[1]}:${m[2]}:${m[3]}` : name;
}
