/**
 * Commands for reviewing a roll: Roll Details..., Frame Note and Label..., Reshoot Frame...,
 * Reject Frame..., Restore Rejected Frame..., and the script-facing setRollDetails / getRollDetails.
 * Each takes its arguments (for scripts, keybindings and the filmstrip) or asks for them, and returns
 * a plain JSON-able result. The wording the user sees lives here.
 */
import * as path from 'path';
import * as vscode from 'vscode';
import type { Guard, Handler } from './commandGuard';
import { CameraError } from '../camera/errors';
import {
  checkField,
  checkFrameLabel,
  ROLL_DETAIL_FIELDS,
  type RollDetailField,
  type RollDetails,
} from '../capture/rollDetails';
import type { SidecarReport } from '../capture/rollReview';
import type { ReviewFrame, TetherSession } from '../session/tetherSession';
import { validationMessage } from './inputValidation';

const FIELD_LABELS: Record<RollDetailField, { label: string; prompt: string; placeholder: string }> = {
  filmStock: { label: 'Film stock', prompt: 'The film on the roll', placeholder: 'e.g. Kodak Portra 400' },
  filmIso: {
    label: 'Film ISO',
    prompt: 'The speed the film was exposed at (box speed, or pushed/pulled)',
    placeholder: 'e.g. 400',
  },
  format: { label: 'Format', prompt: 'The film format', placeholder: 'e.g. 35 mm, 120, 4x5' },
  filmCamera: { label: 'Film camera', prompt: 'The camera that shot the film', placeholder: 'e.g. Nikon FM2' },
  lens: { label: 'Lens', prompt: 'The lens that shot the film', placeholder: 'e.g. Nikkor 50mm f/1.4 AI-S' },
  process: {
    label: 'Developer / process',
    prompt: 'How the film was developed',
    placeholder: 'e.g. C-41, or HC-110 B 7 min',
  },
  scanDate: {
    label: 'Scan date',
    prompt: 'The date the roll is digitised (YYYY-MM-DD)',
    placeholder: 'e.g. 2026-11-30',
  },
  firstFrameLabel: {
    label: 'First frame on the film edge',
    prompt: 'The number printed on the film edge by frame 1; later frames follow (00, 0, 1, 2...)',
    placeholder: '00, 0 or 1',
  },
  notes: { label: 'Notes', prompt: 'Notes about the roll', placeholder: 'anything worth keeping with the scans' },
};

const FORMATS = ['35 mm', 'half frame (35 mm)', '120', '220', '127', '110', 'APS', '4x5', '5x7', '8x10'];

export function reviewCommands(session: TetherSession, guarded: Guard): Record<string, Handler> {
  return {
    getRollDetails: guarded('Get roll details', async () => session.getRollDetails()),

    setRollDetails: guarded('Set roll details', async (arg) => {
      if (arg === undefined) return rollDetailsFlow(session);
      if (!isObject(arg))
        throw new CameraError(
          'failed',
          'cameraTether.setRollDetails takes an object such as {"filmStock": "Kodak Portra 400", "filmIso": 400}.',
          {},
          [],
        );
      const r = await session.setRollDetails(arg);
      tellKept(r.sidecars);
      return { roll: r.roll, details: r.details };
    }),

    rollDetails: guarded('Roll details', async (arg) => {
      if (isObject(arg)) {
        const r = await session.setRollDetails(arg);
        tellKept(r.sidecars);
        return { roll: r.roll, details: r.details };
      }
      return rollDetailsFlow(session);
    }),

    setFrameNote: guarded('Set frame note', async (arg) => {
      let change: { note?: unknown; label?: unknown };
      let frame: number;
      if (isObject(arg)) {
        if (typeof arg.frame !== 'number')
          throw new CameraError(
            'failed',
            'cameraTether.setFrameNote takes {"frame": N, "note"?: "...", "label"?: "00"} (null or "" removes a note or label).',
            {},
            [],
          );
        frame = arg.frame;
        change = { note: arg.note, label: arg.label };
      } else {
        const picked = await pickFrame(session, 'Note and film-edge label of which frame?', frameArg(arg));
        frame = picked.frame;
        const note = await vscode.window.showInputBox({
          title: `Frame ${frame}: note`,
          prompt: 'A note for this frame (empty: none)',
          value: picked.note ?? '',
          placeHolder: 'e.g. dust top left, re-scan',
        });
        if (note === undefined) throw new CameraError('cancelled', 'Frame note was cancelled.');
        const label = await vscode.window.showInputBox({
          title: `Frame ${frame}: film-edge label`,
          prompt: 'The number printed on the film edge by this frame (00, 0, 12, 12A...)',
          value: picked.label,
          validateInput: (v) => (v.trim() === '' ? undefined : validationMessage(() => checkFrameLabel(v))),
        });
        if (label === undefined) throw new CameraError('cancelled', 'Frame note was cancelled.');
        change = { note: note.trim() === '' ? null : note, label: label.trim() === '' ? null : label };
      }
      const r = await session.setFrameNote(frame, change);
      tellKept(r.sidecars);
      return { roll: r.roll, frame: r.frame, note: r.note, label: r.label };
    }),

    reshootFrame: guarded('Reshoot frame', async (arg) => {
      if (arg !== undefined && frameArg(arg) === undefined)
        throw new CameraError(
          'failed',
          'cameraTether.reshootFrame takes a frame number (a number, or {"frame": N}).',
          {},
          [],
        );
      const frame =
        frameArg(arg) ??
        (
          await pickFrame(
            session,
            'Reshoot which frame? Its files move to rejected/ and the next capture takes its number.',
          )
        ).frame;
      const r = await session.reshootFrame(frame);
      const where = r.rejected ? ` Its old files are in ${relative(session, r.rejected.folder)}.` : '';
      const replaced = r.replaced !== undefined ? ` (instead of frame ${r.replaced}, which stays in rejected/)` : '';
      void vscode.window.showInformationMessage(`The next capture re-takes frame ${frame}${replaced}.${where}`);
      return r;
    }),

    rejectFrame: guarded('Reject frame', async (arg) => {
      if (arg !== undefined && frameArg(arg) === undefined)
        throw new CameraError(
          'failed',
          'cameraTether.rejectFrame takes a frame number (a number, or {"frame": N}).',
          {},
          [],
        );
      const frame =
        frameArg(arg) ??
        (await pickFrame(session, 'Reject which frame? Its files move to rejected/ (nothing is deleted).')).frame;
      const r = await session.rejectFrame(frame);
      vscode.window.setStatusBarMessage(`$(close) Frame ${frame} moved to ${relative(session, r.folder)}`, 5000);
      return r;
    }),

    unrejectFrame: guarded('Restore rejected frame', async (arg) => {
      let frame = frameArg(arg);
      let folder = isObject(arg) && typeof arg.folder === 'string' ? arg.folder : undefined;
      if (arg !== undefined && frame === undefined)
        throw new CameraError(
          'failed',
          'cameraTether.unrejectFrame takes a frame number (a number, or {"frame": N, "folder"?: "rejected/frame-0005.1"}).',
          {},
          [],
        );
      if (frame === undefined) {
        const { rejected } = await session.listFrames();
        if (rejected.length === 0) {
          void vscode.window.showInformationMessage(`Roll "${session.snapshot().roll}" has no rejected frames.`);
          throw new CameraError('cancelled', 'Nothing to restore.');
        }
        const picked = await vscode.window.showQuickPick(
          [...rejected].reverse().map((x) => ({
            label: `Frame ${x.frame}`,
            description: relative(session, x.folder),
            detail: x.files.map((f) => path.basename(f)).join(', '),
            entry: x,
          })),
          { title: 'Restore which rejected frame? It goes back under its number.' },
        );
        if (!picked) throw new CameraError('cancelled', 'Restore was cancelled.');
        frame = picked.entry.frame;
        folder = picked.entry.folder;
      }
      const r = await session.unrejectFrame(frame, folder);
      vscode.window.setStatusBarMessage(`$(discard) Frame ${frame} is back in roll "${r.roll}"`, 5000);
      return r;
    }),
  };
}

/** Roll Details...: a menu of the fields with their values; each one picked is edited and saved at once. */
async function rollDetailsFlow(session: TetherSession): Promise<{ roll: string; details: RollDetails }> {
  let { roll, details } = await session.getRollDetails();
  for (;;) {
    const items: (vscode.QuickPickItem & { field?: RollDetailField })[] = [
      ...ROLL_DETAIL_FIELDS.map((field) => ({
        label: FIELD_LABELS[field].label,
        description: details[field] !== undefined ? String(details[field]) : '(not set)',
        field,
      })),
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      { label: '$(check) Done', description: 'every change is already saved, and written to the sidecars' },
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: `Roll details: ${roll}`,
      placeHolder: "Pick a field to change (they are saved with the roll and written into every capture's XMP sidecar)",
    });
    if (!picked?.field) return { roll, details };
    const value = await askField(picked.field, details[picked.field]);
    if (value === undefined) continue;
    const r = await session.setRollDetails({ [picked.field]: value });
    tellKept(r.sidecars);
    ({ roll, details } = r);
  }
}

/** One field's new value: text or a number, null to remove it, undefined when the user backed out. */
async function askField(field: RollDetailField, current: unknown): Promise<string | number | null | undefined> {
  const text = FIELD_LABELS[field];
  const choices =
    field === 'format'
      ? FORMATS
      : field === 'firstFrameLabel'
        ? ['00', '0', '1']
        : field === 'scanDate'
          ? [new Date().toISOString().slice(0, 10)]
          : undefined;
  if (choices) {
    const other = 'Other...';
    const clear = '(remove)';
    const picked = await vscode.window.showQuickPick([...choices, other, ...(current !== undefined ? [clear] : [])], {
      title: text.label,
      placeHolder: text.prompt,
    });
    if (picked === undefined) return undefined;
    if (picked === clear) return null;
    if (picked !== other) return picked;
  }
  const typed = await vscode.window.showInputBox({
    title: text.label,
    prompt: `${text.prompt} (empty: remove it)`,
    placeHolder: text.placeholder,
    value: current !== undefined ? String(current) : '',
    validateInput: (v) => (v.trim() === '' ? undefined : validationMessage(() => checkField(field, v))),
  });
  if (typed === undefined) return undefined;
  if (typed.trim() === '') return null;
  return field === 'filmIso' ? Number(typed.trim()) : typed;
}

/** Asks which frame, newest first (the one to reshoot is usually the last). */
async function pickFrame(session: TetherSession, title: string, preset?: number): Promise<ReviewFrame> {
  const { frames, roll } = await session.listFrames();
  if (preset !== undefined) {
    const f = frames.find((x) => x.frame === preset);
    if (f) return f;
  }
  if (frames.length === 0) {
    void vscode.window.showInformationMessage(`Roll "${roll}" has no frames yet.`);
    throw new CameraError('cancelled', 'There is no frame to pick.');
  }
  const picked = await vscode.window.showQuickPick(
    [...frames].reverse().map((f) => ({
      label: `Frame ${f.frame}`,
      description: `${f.label !== String(f.frame) ? `edge ${f.label} · ` : ''}${f.files.map((p) => path.basename(p)).join(', ')}`,
      detail: f.note,
      frame: f,
    })),
    { title, matchOnDescription: true, matchOnDetail: true },
  );
  if (!picked) throw new CameraError('cancelled', `${title.split('?')[0]} was cancelled.`);
  return picked.frame;
}

/** A sidecar another program (darktable...) changed is never overwritten: say so, once per change. */
function tellKept(report: SidecarReport): void {
  if (report.kept.length === 0) return;
  const names = report.kept.map((f) => path.basename(f));
  void vscode.window.showInformationMessage(
    `${names.length} sidecar${names.length === 1 ? ' was' : 's were'} changed by another program (e.g. darktable's edits) and left as ${names.length === 1 ? 'it is' : 'they are'}: ${names.slice(0, 5).join(', ')}${names.length > 5 ? '...' : ''}. The others carry the new details.`,
  );
}

function frameArg(arg: unknown): number | undefined {
  if (typeof arg === 'number') return arg;
  if (isObject(arg) && typeof arg.frame === 'number') return arg.frame;
  return undefined;
}

function relative(session: TetherSession, folder: string): string {
  const rel = path.relative(session.snapshot().folder, folder);
  return rel.startsWith('..') ? folder : rel;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
