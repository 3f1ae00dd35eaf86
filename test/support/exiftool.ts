/** Reads metadata back with exiftool (Debian libimage-exiftool-perl): a real XMP reader, never our own parser. */
import { execFileSync } from 'child_process';

let available: boolean | undefined;

/** Why exiftool cannot be used here, or undefined when it can. */
export function exiftoolMissing(): string | undefined {
  if (available === undefined) {
    try {
      execFileSync('exiftool', ['-ver'], { stdio: 'ignore' });
      available = true;
    } catch {
      available = false;
    }
  }
  return available
    ? undefined
    : 'exiftool is not installed (Debian: apt-get install libimage-exiftool-perl; .ci/run installs it)';
}

/** exiftool -j for these files: one object per file, tag names without groups, values as exiftool prints them. */
export function exiftoolJson(files: readonly string[], tags: readonly string[] = []): Record<string, unknown>[] {
  const out = execFileSync('exiftool', ['-j', '-charset', 'utf8', ...tags.map((t) => `-${t}`), '--', ...files], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as Record<string, unknown>[];
}

/** exiftool -b -<tag>: the binary value (an embedded preview, say); empty when the file has none. */
export function exiftoolBinary(file: string, tag: string): Buffer {
  return execFileSync('exiftool', ['-b', `-${tag}`, '--', file], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Changes a tag in place as another program would (exiftool rewrites the file). */
export function exiftoolWrite(file: string, assignment: string): void {
  execFileSync('exiftool', ['-overwrite_original', `-${assignment}`, '--', file], { stdio: 'ignore' });
}
