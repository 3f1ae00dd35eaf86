/**
 * gphoto2's command line as popt parses it: long options with `=value` or a separate value, short
 * options (bundled like `-qv`), optional arguments only taken when the next word does not start
 * with '-'. The outcome mirrors gphoto2's main(): an unknown option prints the usage and exits 1;
 * any other popt error (missing value, bad number) silently ends option processing there.
 */

type ArgKind = 'none' | 'string' | 'int' | 'optional';

interface OptionSpec {
  long: string;
  short?: string;
  kind: ArgKind;
}

/** Every option of gphoto2 2.5.28 (`gphoto2 --help`), so valid ones are never reported as unknown. */
const OPTIONS: readonly OptionSpec[] = [
  { long: 'help', short: '?', kind: 'none' },
  { long: 'usage', kind: 'none' },
  { long: 'debug', kind: 'none' },
  { long: 'debug-loglevel', kind: 'string' },
  { long: 'debug-logfile', kind: 'string' },
  { long: 'quiet', short: 'q', kind: 'none' },
  { long: 'parsable', kind: 'none' },
  { long: 'hook-script', kind: 'string' },
  { long: 'stdout', kind: 'none' },
  { long: 'stdout-size', kind: 'none' },
  { long: 'auto-detect', kind: 'none' },
  { long: 'show-exif', kind: 'string' },
  { long: 'show-info', kind: 'string' },
  { long: 'summary', kind: 'none' },
  { long: 'manual', kind: 'none' },
  { long: 'about', kind: 'none' },
  { long: 'storage-info', kind: 'none' },
  { long: 'shell', kind: 'none' },
  { long: 'version', short: 'v', kind: 'none' },
  { long: 'list-cameras', kind: 'none' },
  { long: 'list-ports', kind: 'none' },
  { long: 'abilities', short: 'a', kind: 'none' },
  { long: 'port', kind: 'string' },
  { long: 'speed', kind: 'int' },
  { long: 'camera', kind: 'string' },
  { long: 'usbid', kind: 'string' },
  { long: 'config', kind: 'none' },
  { long: 'list-config', kind: 'none' },
  { long: 'list-all-config', kind: 'none' },
  { long: 'get-config', kind: 'string' },
  { long: 'set-config', kind: 'string' },
  { long: 'set-config-index', kind: 'string' },
  { long: 'set-config-value', kind: 'string' },
  { long: 'reset', kind: 'none' },
  { long: 'keep', kind: 'none' },
  { long: 'keep-raw', kind: 'none' },
  { long: 'no-keep', kind: 'none' },
  { long: 'wait-event', kind: 'optional' },
  { long: 'wait-event-and-download', kind: 'optional' },
  { long: 'capture-preview', kind: 'none' },
  { long: 'show-preview', kind: 'none' },
  { long: 'bulb', short: 'B', kind: 'int' },
  { long: 'frames', short: 'F', kind: 'int' },
  { long: 'interval', short: 'I', kind: 'int' },
  { long: 'reset-interval', kind: 'none' },
  { long: 'capture-image', kind: 'none' },
  { long: 'trigger-capture', kind: 'none' },
  { long: 'capture-image-and-download', kind: 'none' },
  { long: 'capture-movie', kind: 'optional' },
  { long: 'capture-sound', kind: 'none' },
  { long: 'capture-tethered', kind: 'optional' },
  { long: 'list-folders', short: 'l', kind: 'none' },
  { long: 'list-files', short: 'L', kind: 'none' },
  { long: 'mkdir', short: 'm', kind: 'string' },
  { long: 'rmdir', short: 'r', kind: 'string' },
  { long: 'num-files', short: 'n', kind: 'none' },
  { long: 'get-file', short: 'p', kind: 'string' },
  { long: 'get-all-files', short: 'P', kind: 'none' },
  { long: 'get-thumbnail', short: 't', kind: 'string' },
  { long: 'get-all-thumbnails', short: 'T', kind: 'none' },
  { long: 'get-metadata', kind: 'string' },
  { long: 'get-all-metadata', kind: 'none' },
  { long: 'upload-metadata', kind: 'string' },
  { long: 'get-raw-data', kind: 'string' },
  { long: 'get-all-raw-data', kind: 'none' },
  { long: 'get-audio-data', kind: 'string' },
  { long: 'get-all-audio-data', kind: 'none' },
  { long: 'delete-file', short: 'd', kind: 'string' },
  { long: 'delete-all-files', short: 'D', kind: 'none' },
  { long: 'upload-file', short: 'u', kind: 'string' },
  { long: 'filename', kind: 'string' },
  { long: 'filenumber', kind: 'int' },
  { long: 'folder', short: 'f', kind: 'string' },
  { long: 'recurse', short: 'R', kind: 'none' },
  { long: 'no-recurse', kind: 'none' },
  { long: 'new', kind: 'none' },
  { long: 'force-overwrite', kind: 'none' },
  { long: 'skip-existing', kind: 'none' },
];

const BY_LONG = new Map(OPTIONS.map((o) => [o.long, o]));
const BY_SHORT = new Map(OPTIONS.filter((o) => o.short).map((o) => [o.short as string, o]));

export interface ParsedOption {
  /** The long name, e.g. "capture-movie". */
  name: string;
  value?: string;
}

export type ParseResult =
  | { kind: 'noArgs' }
  | { kind: 'badOption' }
  /** `options` stops before the first option popt could not read (as gphoto2 then stops processing). */
  | { kind: 'ok'; options: ParsedOption[] };

export function parseArgs(argv: readonly string[]): ParseResult {
  if (argv.length === 0) return { kind: 'noArgs' };
  const options: ParsedOption[] = [];
  let i = 0;
  while (i < argv.length) {
    const word = argv[i++];
    if (word === '--') break; // the rest are plain arguments, which gphoto2 ignores here
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      const spec = BY_LONG.get(name);
      if (!spec) return { kind: 'badOption' };
      const inline = eq >= 0 ? word.slice(eq + 1) : undefined;
      const taken = takeValue(spec, inline, argv, i);
      if (taken === 'error') return { kind: 'ok', options };
      i = taken.next;
      options.push(taken.value === undefined ? { name } : { name, value: taken.value });
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      // Bundled short options: each letter is an option until one takes the rest of the word as its value.
      for (let k = 1; k < word.length; k++) {
        const spec = BY_SHORT.get(word[k]);
        if (!spec) return { kind: 'badOption' };
        if (spec.kind === 'none') {
          options.push({ name: spec.long });
          continue;
        }
        const rest = word.slice(k + 1);
        const taken = takeValue(spec, rest === '' ? undefined : rest.replace(/^=/, ''), argv, i);
        if (taken === 'error') return { kind: 'ok', options };
        i = taken.next;
        options.push(taken.value === undefined ? { name: spec.long } : { name: spec.long, value: taken.value });
        break;
      }
      continue;
    }
    // A plain argument (popt leftovers): gphoto2 only uses these for multi-file commands.
  }
  return { kind: 'ok', options };
}

function takeValue(
  spec: OptionSpec,
  inline: string | undefined,
  argv: readonly string[],
  next: number,
): { value?: string; next: number } | 'error' {
  switch (spec.kind) {
    case 'none':
      return inline === undefined ? { next } : 'error';
    case 'optional':
      if (inline !== undefined) return { value: inline, next };
      if (next < argv.length && !argv[next].startsWith('-')) return { value: argv[next], next: next + 1 };
      return { next };
    case 'string':
    case 'int': {
      let value = inline;
      let after = next;
      if (value === undefined) {
        if (next >= argv.length) return 'error';
        value = argv[next];
        after = next + 1;
      }
      if (spec.kind === 'int' && !/^\s*[-+]?\d+\s*$/.test(value)) return 'error';
      return { value, next: after };
    }
  }
}
