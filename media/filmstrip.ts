/**
 * The panel's filmstrip: every frame of the current roll in capture order, and the test captures in
 * their own strip. Each item is a fixed-size box; its thumbnail is loaded only while the item is in
 * (or near) view, and dropped again when it scrolls far away, so a 1,000-frame roll costs a few
 * dozen decoded thumbnails, never the full-size images (only the one picture shown large is). Items
 * whose thumbnail is not made yet are asked of the extension in batches, once each.
 *
 * Click or Left/Right shows a frame large (fit / 100 % as the Z key sets); Esc goes back to the live
 * or preview picture. Reshoot and Reject act on the selected frame through the extension's commands.
 * The strip reports on its root element what it holds (data-frames, data-loaded: thumbnails loaded
 * so far, data-held: thumbnails in memory now), which the extension-host tests read.
 */
import type {
  FrameAction,
  PanelStrip,
  PanelStripItem,
  RollView,
  StripName,
  WebviewMessage,
} from '../src/ui/panelProtocol';

export interface FilmstripHost {
  send(message: WebviewMessage): void;
  /** Shows a picture large until `backToLive`; `caption` says what it is. */
  showStill(uri: string, caption: string): void;
  /** Back to the live view or the last preview. */
  backToLive(): void;
  /** The roll's remembered view arrived with the strip (a new roll, or a reopened page). */
  rollView(roll: string, view: RollView): void;
}

interface Entry {
  strip: StripName;
  item: PanelStripItem;
  el: HTMLButtonElement;
  img: HTMLImageElement | undefined;
  near: boolean;
  requested: boolean;
}

/** How far beyond the strip's visible width items count as near (loaded ahead of scrolling). */
const NEAR_MARGIN = '0px 400px';
/** Requests are gathered this long, and only items still near are asked for (fast scrolling asks for little). */
const REQUEST_DELAY_MS = 120;

export class Filmstrip {
  readonly root: HTMLElement;
  private readonly rows: Record<StripName, HTMLElement>;
  private readonly lists: Record<StripName, HTMLElement>;
  private readonly entries: Record<StripName, Map<string, Entry>> = { frames: new Map(), tests: new Map() };
  private readonly observers: Record<StripName, IntersectionObserver>;
  private readonly byElement = new WeakMap<Element, Entry>();
  private readonly wanted: Record<StripName, Set<string>> = { frames: new Set(), tests: new Set() };
  private requestTimer: ReturnType<typeof setTimeout> | undefined;
  private selected: Entry | undefined;
  private roll = '';
  private reshoot: number | undefined;
  private loaded = 0;
  private held = 0;
  private readonly empty: HTMLElement;
  private readonly reshootButton: HTMLButtonElement;
  private readonly rejectButton: HTMLButtonElement;

  constructor(private readonly host: FilmstripHost) {
    this.root = document.createElement('section');
    this.root.id = 'filmstrip';
    this.root.className = 'strips';
    this.root.setAttribute('aria-label', 'Filmstrip');
    const actions = document.createElement('div');
    actions.className = 'strip-actions';
    this.reshootButton = this.actionButton(
      'reshoot',
      'Reshoot',
      'The next capture re-takes the selected frame (its files move to rejected/)',
    );
    this.rejectButton = this.actionButton(
      'reject',
      'Reject',
      'Move the selected frame to rejected/ (nothing is deleted)',
    );
    actions.append(this.reshootButton, this.rejectButton);
    const frames = this.row('frames', 'Roll');
    const tests = this.row('tests', 'Tests');
    this.rows = { frames: frames.row, tests: tests.row };
    this.lists = { frames: frames.list, tests: tests.list };
    this.rows.frames.append(actions);
    this.empty = document.createElement('span');
    this.empty.className = 'strip-empty';
    this.empty.textContent = 'No frames in this roll yet.';
    this.lists.frames.before(this.empty);
    this.root.append(this.rows.frames, this.rows.tests);
    this.observers = {
      frames: this.observe(this.lists.frames),
      tests: this.observe(this.lists.tests),
    };
    this.report();
  }

  private row(strip: StripName, title: string): { row: HTMLElement; list: HTMLElement } {
    const row = document.createElement('div');
    row.className = `strip-row ${strip}`;
    const heading = document.createElement('span');
    heading.className = 'strip-title label';
    heading.textContent = title;
    const list = document.createElement('div');
    list.className = 'strip';
    list.id = `strip-${strip}`;
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', strip === 'frames' ? 'Frames of the roll' : 'Test captures');
    list.setAttribute('aria-orientation', 'horizontal');
    row.append(heading, list);
    return { row, list };
  }

  private actionButton(action: FrameAction, text: string, title: string): HTMLButtonElement {
    const b = document.createElement('button');
    b.id = `btn-${action}-frame`;
    b.textContent = text;
    b.title = title;
    b.disabled = true;
    b.addEventListener('click', () => {
      const frame = this.selected?.item.frame;
      if (frame !== undefined) this.host.send({ type: 'frameAction', action, frame });
    });
    return b;
  }

  private observe(list: HTMLElement): IntersectionObserver {
    return new IntersectionObserver(
      (changes) => {
        for (const change of changes) {
          const entry = this.byElement.get(change.target);
          if (!entry) continue;
          entry.near = change.isIntersecting;
          if (entry.near) this.load(entry);
          else this.unload(entry);
        }
      },
      { root: list, rootMargin: NEAR_MARGIN },
    );
  }

  /** The extension's listing of the roll and the tests: items are kept where unchanged, so scrolling stays. */
  update(strip: PanelStrip): void {
    const newRoll = strip.roll !== this.roll;
    this.roll = strip.roll;
    this.reshoot = strip.reshoot;
    if (newRoll) this.host.rollView(strip.roll, strip.view);
    this.fill('frames', strip.frames);
    this.fill('tests', strip.tests);
    // The strip keeps its height when empty: the first capture of a roll must not move the picture.
    this.rows.tests.hidden = strip.tests.length === 0;
    this.empty.hidden = strip.frames.length > 0;
    // The frame on screen left the roll (rejected, reshot): its picture goes too.
    const chosen = this.selected && this.entries[this.selected.strip].get(this.selected.item.key);
    if (this.selected && !chosen) {
      this.select(undefined);
      this.host.backToLive();
    } else if (chosen && chosen !== this.selected) {
      // The same frame with new details (a note, a label): still the one chosen.
      this.selected = chosen;
      chosen.el.classList.add('selected');
      chosen.el.setAttribute('aria-selected', 'true');
    }
    this.syncActions();
    this.report();
  }

  private fill(strip: StripName, items: readonly PanelStripItem[]): void {
    const old = this.entries[strip];
    const next = new Map<string, Entry>();
    const els: HTMLElement[] = [];
    for (const item of items) {
      let entry = old.get(item.key);
      if (entry && !sameItem(entry.item, item)) {
        this.drop(entry);
        entry = undefined;
      }
      entry ??= this.make(strip, item);
      entry.el.classList.toggle('reshoot', strip === 'frames' && item.frame === this.reshoot);
      next.set(item.key, entry);
      els.push(entry.el);
    }
    for (const [key, entry] of old) if (!next.has(key)) this.drop(entry);
    this.entries[strip] = next;
    // Moving an element out and back would make it leave view and reload its thumbnail: only
    // append when the strip only grew (a capture), rebuild when it changed otherwise.
    const list = this.lists[strip];
    const now = list.children;
    const prefix = now.length <= els.length && els.slice(0, now.length).every((e, i) => now[i] === e);
    if (prefix) list.append(...els.slice(now.length));
    else list.replaceChildren(...els);
  }

  private make(strip: StripName, item: PanelStripItem): Entry {
    const el = document.createElement('button');
    el.className = 'thumb';
    el.dataset.key = item.key;
    if (item.frame !== undefined) el.dataset.frame = String(item.frame);
    el.setAttribute('role', 'option');
    el.setAttribute('aria-selected', 'false');
    el.title = `${item.frame !== undefined ? `Frame ${item.label}: ` : 'Test capture: '}${item.name}${item.note ? `\n${item.note}` : ''}`;
    const pic = document.createElement('span');
    pic.className = 'pic';
    const num = document.createElement('span');
    num.className = 'num';
    num.textContent = item.label;
    el.append(pic, num);
    const entry: Entry = { strip, item, el, img: undefined, near: false, requested: false };
    if (item.none) this.showName(entry);
    el.addEventListener('click', () => this.select(entry));
    el.addEventListener('contextmenu', () => this.select(entry));
    this.byElement.set(el, entry);
    this.observers[strip].observe(el);
    return entry;
  }

  private drop(entry: Entry): void {
    this.unload(entry);
    this.observers[entry.strip].unobserve(entry.el);
  }

  /** A file without a preview the thumbnailer reads: its name stands in for the picture. */
  private showName(entry: Entry): void {
    const pic = entry.el.querySelector('.pic');
    if (!pic) return;
    pic.classList.add('none');
    pic.textContent = entry.item.name;
  }

  private load(entry: Entry): void {
    if (entry.img || entry.item.none) return;
    const uri = entry.item.thumbnailUri;
    if (!uri) {
      if (!entry.requested) {
        this.wanted[entry.strip].add(entry.item.key);
        this.requestSoon();
      }
      return;
    }
    const img = document.createElement('img');
    img.alt = '';
    img.decoding = 'async';
    img.addEventListener('load', () => {
      this.loaded++;
      this.report();
    });
    img.src = uri;
    entry.img = img;
    this.held++;
    entry.el.querySelector('.pic')?.replaceChildren(img);
    this.report();
  }

  /** Far out of view: the decoded thumbnail goes (the browser frees it); it comes back from the cache when near again. */
  private unload(entry: Entry): void {
    this.wanted[entry.strip].delete(entry.item.key);
    if (!entry.img) return;
    entry.img.removeAttribute('src');
    entry.img.remove();
    entry.img = undefined;
    this.held--;
    this.report();
  }

  private requestSoon(): void {
    if (this.requestTimer) return;
    this.requestTimer = setTimeout(() => {
      this.requestTimer = undefined;
      for (const strip of ['frames', 'tests'] as const) {
        const keys = [...this.wanted[strip]].filter((k) => this.entries[strip].get(k)?.near);
        this.wanted[strip].clear();
        for (let i = 0; i < keys.length; i += 100) {
          const batch = keys.slice(i, i + 100);
          for (const k of batch) {
            const e = this.entries[strip].get(k);
            if (e) e.requested = true;
          }
          this.host.send({ type: 'thumbnails', strip, keys: batch });
        }
      }
    }, REQUEST_DELAY_MS);
  }

  /** A thumbnail the extension made (or found no preview for). */
  thumbnail(strip: StripName, key: string, uri: string | undefined): void {
    const entry = this.entries[strip].get(key);
    if (!entry) return;
    entry.item = uri ? { ...entry.item, thumbnailUri: uri } : { ...entry.item, none: true };
    if (!uri) this.showName(entry);
    else if (entry.near) this.load(entry);
    // A RAW-only frame chosen before its preview was made: show it now.
    if (entry === this.selected && !entry.item.imageUri) this.showLarge(entry);
  }

  private select(entry: Entry | undefined): void {
    if (this.selected) {
      this.selected.el.classList.remove('selected');
      this.selected.el.setAttribute('aria-selected', 'false');
    }
    this.selected = entry;
    this.syncActions();
    this.root.dataset.selected = entry ? `${entry.strip}:${entry.item.key}` : '';
    if (!entry) return;
    entry.el.classList.add('selected');
    entry.el.setAttribute('aria-selected', 'true');
    entry.el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    this.showLarge(entry);
  }

  /** The chosen item large: its JPEG, else (RAW only) the preview embedded in the RAW, made now if need be. */
  private showLarge(entry: Entry): void {
    const uri = entry.item.imageUri ?? entry.item.thumbnailUri;
    const what = entry.item.frame !== undefined ? `Frame ${entry.item.label}` : `Test capture ${entry.item.label}`;
    if (uri)
      this.host.showStill(uri, `${what} · ${entry.item.name}${entry.item.imageUri ? '' : ' (embedded preview)'}`);
    else if (entry.item.none) this.host.showStill('', `${what} · ${entry.item.name}: no preview in this file`);
    else {
      // Not made yet: ask now; thumbnail() shows it when it arrives.
      entry.requested = true;
      this.host.send({ type: 'thumbnails', strip: entry.strip, keys: [entry.item.key] });
    }
  }

  private syncActions(): void {
    const frame = this.selected?.item.frame !== undefined;
    this.reshootButton.disabled = !frame;
    this.rejectButton.disabled = !frame;
  }

  /** Left/Right: the previous/next item of the selected strip (the roll's last frame when none is selected). */
  step(delta: -1 | 1): boolean {
    const strip = this.selected?.strip ?? 'frames';
    const keys = [...this.entries[strip].keys()];
    if (keys.length === 0) return false;
    const at = this.selected ? keys.indexOf(this.selected.item.key) : delta > 0 ? -1 : keys.length;
    const next = Math.min(keys.length - 1, Math.max(0, at + delta));
    const entry = this.entries[strip].get(keys[next]);
    if (entry && entry !== this.selected) this.select(entry);
    return true;
  }

  /** Esc: back to the live or preview picture. False when nothing was selected. */
  escape(): boolean {
    if (!this.selected) return false;
    this.select(undefined);
    this.host.backToLive();
    return true;
  }

  /** Something else took the picture area (a new capture, a preview): nothing is selected any more. */
  deselect(): void {
    if (this.selected) this.select(undefined);
  }

  private report(): void {
    const d = this.root.dataset;
    d.frames = String(this.entries.frames.size);
    d.tests = String(this.entries.tests.size);
    d.loaded = String(this.loaded);
    d.held = String(this.held);
  }
}

function sameItem(a: PanelStripItem, b: PanelStripItem): boolean {
  return (
    a.label === b.label &&
    a.name === b.name &&
    a.note === b.note &&
    a.imageUri === b.imageUri &&
    a.none === b.none &&
    // A thumbnail made meanwhile keeps the item; a different one (reshoot) replaces it.
    (b.thumbnailUri === undefined || a.thumbnailUri === b.thumbnailUri)
  );
}
