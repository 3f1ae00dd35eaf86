/**
 * XMP sidecars that carry a roll's film details and a frame's note and film-edge label to the raw
 * developers and asset managers (darktable, RawTherapee, digiKam, Lightroom).
 *
 * Names: both conventions are written, because each of the four reads only one by default.
 * - `frame-0001.NEF.xmp`, `frame-0001.JPG.xmp` (one per image): darktable reads and writes only this
 *   one at import, digiKam writes it, RawTherapee reads it on Linux (its default sidecar style there).
 * - `frame-0001.xmp` (one per exposure): Lightroom (and Capture One, Bridge) read only this one, for
 *   raw files; RawTherapee reads it by default on Windows and macOS; digiKam prefers it when it
 *   exists; darktable falls back to it (its Lightroom import) when there is no `.NEF.xmp`.
 * RAW+JPEG share a frame number and carry the same details, so one per-exposure file is not
 * ambiguous here.
 *
 * Fields: dc:title ("roll, frame label"), dc:description (the frame note), dc:subject (stock, format,
 * process as keywords), exif:UserComment (a one-line summary, which RawTherapee copies into the
 * exported file's Exif), and everything in the film namespace. The film's ISO, camera and lens are
 * NOT written as exif:ISOSpeedRatings / tiff:Make / exifEX:LensModel: those describe the digital
 * exposure, and RawTherapee merges a sidecar's exif/tiff values over the raw's own (metadata.cc,
 * moveXmpToExif), so a film camera there would change the camera profile it develops with.
 *
 * A sidecar is ours while its digest matches its content. One that another program changed
 * (darktable adds its history to `.NEF.xmp`) is never overwritten: rewrites skip it and say so.
 */
import { createHash, randomUUID } from 'crypto';
import { constants as fsConstants, promises as fs } from 'fs';
import * as path from 'path';
import type { RollDetails } from './rollDetails';
import { writeFileAtomic } from './rollState';

export const FILM_NAMESPACE = 'https://camera-tether.github.io/ns/film/1.0/';
export const FILM_PREFIX = 'ctfilm';

export interface SidecarFacts {
  roll: string;
  frame: number;
  label: string;
  note?: string;
  details: RollDetails;
}

export type SidecarWrite = 'written' | 'unchanged' | 'kept';

const DIGEST = /<ctfilm:Digest>([0-9a-f]{64})<\/ctfilm:Digest>/;
const DIGEST_EMPTY = '<ctfilm:Digest></ctfilm:Digest>';

export function isSidecarName(name: string): boolean {
  return /\.xmp$/i.test(name);
}

/** The sidecars of one exposure's images: one per image (`x.NEF.xmp`) and one per name stem (`x.xmp`). */
export function sidecarNamesFor(imageNames: readonly string[]): string[] {
  const out = new Set<string>();
  for (const name of imageNames) {
    out.add(`${name}.xmp`);
    out.add(`${stemOf(name)}.xmp`);
  }
  return [...out];
}

export function stemOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

export function renderSidecar(f: SidecarFacts): string {
  const d = f.details;
  const keywords = [d.filmStock, d.format, d.process].filter((k): k is string => k !== undefined);
  const film: [string, string | number | undefined][] = [
    ['Roll', f.roll],
    ['Frame', f.frame],
    ['FrameLabel', f.label],
    ['FrameNote', f.note],
    ['FilmStock', d.filmStock],
    ['FilmISO', d.filmIso],
    ['FilmFormat', d.format],
    ['FilmCamera', d.filmCamera],
    ['FilmLens', d.lens],
    ['FilmProcess', d.process],
    ['ScanDate', d.scanDate],
    ['RollNotes', d.notes],
  ];
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Camera Tether">',
    ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '  <rdf:Description rdf:about=""',
    '    xmlns:dc="http://purl.org/dc/elements/1.1/"',
    '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
    '    xmlns:exif="http://ns.adobe.com/exif/1.0/"',
    `    xmlns:${FILM_PREFIX}="${FILM_NAMESPACE}">`,
    '   <xmp:CreatorTool>Camera Tether</xmp:CreatorTool>',
    `   <dc:title>${alt(`${f.roll}, frame ${f.label}`)}</dc:title>`,
    ...(f.note !== undefined ? [`   <dc:description>${alt(f.note)}</dc:description>`] : []),
    ...(keywords.length > 0
      ? [
          `   <dc:subject><rdf:Bag>${keywords.map((k) => `<rdf:li>${escapeXml(k)}</rdf:li>`).join('')}</rdf:Bag></dc:subject>`,
        ]
      : []),
    `   <exif:UserComment>${alt(summary(f))}</exif:UserComment>`,
    ...film
      .filter((e): e is [string, string | number] => e[1] !== undefined)
      .map(([k, v]) => `   <${FILM_PREFIX}:${k}>${escapeXml(String(v))}</${FILM_PREFIX}:${k}>`),
    `   ${DIGEST_EMPTY}`,
    '  </rdf:Description>',
    ' </rdf:RDF>',
    '</x:xmpmeta>',
    '',
  ];
  const body = lines.join('\n');
  return body.replace(DIGEST_EMPTY, `<ctfilm:Digest>${digest(body)}</ctfilm:Digest>`);
}

/** True when `text` is a sidecar Camera Tether wrote and nobody changed since. */
export function isOwnSidecar(text: string): boolean {
  const m = DIGEST.exec(text);
  return m !== null && digest(text.replace(DIGEST, DIGEST_EMPTY)) === m[1];
}

/**
 * Writes `text` to `file` atomically: a new file appears whole (link of a complete temp file, which
 * also fails rather than replace a file that appeared meanwhile), one of ours is replaced by rename,
 * and one another program wrote or changed is left as it is ('kept').
 */
export async function writeSidecar(file: string, text: string): Promise<SidecarWrite> {
  for (let attempt = 0; attempt < 2; attempt++) {
    let existing: string | undefined;
    try {
      existing = await fs.readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (existing !== undefined) {
      if (existing === text) return 'unchanged';
      if (!isOwnSidecar(existing)) return 'kept';
      await writeFileAtomic(file, text);
      return 'written';
    }
    if (await createExclusive(file, text)) return 'written';
    // Someone created it between our read and our link: judge that file on the next round.
  }
  return 'kept';
}

async function createExclusive(file: string, text: string): Promise<boolean> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomUUID()}.tmp`);
  await fs.writeFile(tmp, text);
  try {
    await fs.link(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    // No hard links (exFAT, some shares): an exclusive copy never replaces a file either.
    try {
      await fs.copyFile(tmp, file, fsConstants.COPYFILE_EXCL);
      return true;
    } catch (copyErr) {
      if ((copyErr as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw copyErr;
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

function summary(f: SidecarFacts): string {
  const d = f.details;
  const film = [d.filmStock, d.filmIso !== undefined ? `ISO ${d.filmIso}` : undefined, d.format]
    .filter(Boolean)
    .join(', ');
  const gear = [d.filmCamera, d.lens].filter(Boolean).join(' with ');
  const parts = [film, gear, d.process].filter((p): p is string => p !== undefined && p !== '');
  const frame = `${f.roll}, frame ${f.label}${f.label !== String(f.frame) ? ` (file frame ${f.frame})` : ''}`;
  return [...parts, frame].join('; ');
}

function alt(text: string): string {
  return `<rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(text)}</rdf:li></rdf:Alt>`;
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r/g, '&#13;')
    .replace(/\t/g, '&#9;');
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
