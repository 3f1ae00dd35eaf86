/**
 * The exposure a roll is locked to (issue 11), as kept in the roll's state file: the camera's own
 * names and values at the time of the lock. The file can be edited by hand or by another program,
 * so what is read back is checked here; a bad record is ignored with the reason, never half used.
 */

export interface LockedValue {
  /** The camera's full path, e.g. `/main/capturesettings/f-number`. */
  path: string;
  /** The last path segment, e.g. `f-number`. */
  name: string;
  label: string;
  /** The photographer's name for it (`aperture`), when it has one. */
  role?: string;
  value: string;
}

export interface StoredExposureLock {
  /** When the lock was taken (ISO 8601). */
  lockedAt: string;
  /** The camera it was taken on (model), for the panel and for a lock taken on another body. */
  camera?: string;
  values: LockedValue[];
}

const MAX_VALUES = 32;
const MAX_TEXT = 200;
const PATH = /^(\/[A-Za-z0-9][A-Za-z0-9_.-]*){1,8}$/;
const ROLE = /^[A-Za-z]{1,40}$/;
// No control characters: a value goes on gphoto2's command line and into the panel.
const PRINTABLE = /^[^\p{Cc}]*$/u;

/** A lock record as read from the roll's file: the lock, or why it was ignored. */
export function readStoredExposureLock(raw: unknown): { lock: StoredExposureLock } | { problem: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { problem: 'it is not an object' };
  const o = raw as Record<string, unknown>;
  if (typeof o.lockedAt !== 'string' || Number.isNaN(Date.parse(o.lockedAt)))
    return { problem: 'lockedAt is not a date' };
  if (o.camera !== undefined && !isText(o.camera)) return { problem: 'camera is not a short line of text' };
  if (!Array.isArray(o.values) || o.values.length === 0 || o.values.length > MAX_VALUES)
    return { problem: `values is not a list of 1 to ${MAX_VALUES} settings` };
  const values: LockedValue[] = [];
  const paths = new Set<string>();
  for (const [i, v] of o.values.entries()) {
    const value = readLockedValue(v);
    if (typeof value === 'string') return { problem: `values[${i}]: ${value}` };
    if (paths.has(value.path)) return { problem: `values[${i}]: ${value.path} is locked twice` };
    paths.add(value.path);
    values.push(value);
  }
  return { lock: { lockedAt: o.lockedAt, ...(typeof o.camera === 'string' ? { camera: o.camera } : {}), values } };
}

function readLockedValue(raw: unknown): LockedValue | string {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'not an object';
  const v = raw as Record<string, unknown>;
  if (typeof v.path !== 'string' || !PATH.test(v.path)) return 'path is not a camera setting path (/main/.../name)';
  const name = v.path.slice(v.path.lastIndexOf('/') + 1);
  if (v.name !== undefined && v.name !== name) return `name ${JSON.stringify(v.name)} is not the end of ${v.path}`;
  if (v.label !== undefined && !isText(v.label)) return 'label is not a short line of text';
  if (v.role !== undefined && (typeof v.role !== 'string' || !ROLE.test(v.role))) return 'role is not a word';
  if (!isText(v.value)) return 'value is not a short line of text';
  return {
    path: v.path,
    name,
    label: typeof v.label === 'string' ? v.label : name,
    ...(typeof v.role === 'string' ? { role: v.role } : {}),
    value: v.value,
  };
}

function isText(x: unknown): x is string {
  return typeof x === 'string' && x.length <= MAX_TEXT && PRINTABLE.test(x);
}
