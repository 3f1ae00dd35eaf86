// gphoto2's output is parsed on the extension host's only thread, and what it prints is not ours: a
// camera's name, a folder, a broken or hostile binary can put anything there. These tests hold the
// parsers to linear time and bounded work (issue 9, item 3): 1 MB of generated hostile output must
// parse within a small multiple of a linear pass over the same bytes, and the old regular
// expressions (`*** Error:` + 3,000 spaces + `x` took 10 s) must never come back.
//
// The timing runs in a worker thread so that a regression fails the test instead of freezing it: a
// backtracking regular expression cannot be interrupted on its own thread, but a worker can be
// terminated.
import * as assert from 'assert';
import fc from 'fast-check';
import { isMainThread } from 'worker_threads';
import { CameraError } from '../../src/camera/errors';
import * as gp from '../../src/camera/gphoto2';
import { fixture, outcomeOf } from '../support/fixtures';
import { assertLinearTime, Hostile, serveTimings } from '../support/linearTime';

const MB = 1024 * 1024;
/** What the parsers read of one stream (the issue's figures, written out so the test states them). */
const MAX_PARSED = 64 * 1024;
const MAX_LINE = 1024;
/** Best of this many runs each, so one GC pause or a busy neighbour does not decide. */
const RUNS = 5;
/** Parsing may cost this many times a plain split-and-trim pass over the same text. */
const MAX_RATIO = 10;
/** The worker is stopped (and the test fails) when one input takes this many times the baseline. */
const HANG_RATIO = 2000;

/** Everything a caller can parse, as the camera manager does after a failed or odd run. */
function parseEverything(text: string): number {
  let n = 0;
  const attempt = (f: () => unknown): void => {
    try {
      f();
    } catch (err) {
      if (!(err instanceof CameraError)) throw err;
      n++;
    }
  };
  attempt(() => gp.parseVersion(text));
  attempt(() => gp.parseAutoDetect(text));
  n += gp.parseErrors(text).length;
  n += gp.parseSavedFiles(text).length;
  n += gp.parseNewCameraFiles(text).length;
  n += gp.parseFailureLines(text).length;
  const outcome = { stdout: text, stderr: text, timedOut: false, cancelled: false };
  n +=
    gp.classifyOutcome({ ...outcome, exitCode: 1 }, { job: 'Capture', command: 'gphoto2', timeoutMs: 1000 })?.message
      .length ?? 0;
  n +=
    gp.classifyOutcome({ ...outcome, exitCode: 0 }, { job: 'Capture', command: 'gphoto2', timeoutMs: 1000 })?.message
      .length ?? 0;
  return n;
}

if (!isMainThread) {
  serveTimings(parseEverything, RUNS);
} else {
  /** Pieces of gphoto2's output (and of what breaks regexes: runs of spaces, quotes, parentheses). */
  const ATOMS = [
    ' ',
    '  ',
    '\t',
    '\n',
    '\r\n',
    '\n\n\n',
    "'",
    '(',
    ')',
    ':',
    '-',
    '5',
    '53',
    '.',
    'x',
    'é',
    '*',
    '***',
    '*** Error',
    '*** Error:',
    '*** Error (',
    '*** Error ***',
    '*** Error (-53: ',
    "'Could not claim'",
    "') ***",
    ' ***',
    'Saving file as ',
    'New file is in location ',
    ' on the camera',
    'ERROR: ',
    'Sorry, your ',
    'does not support LiveView',
    'usb:',
    'usb:001,004',
    'Model',
    'Port',
    'ModelPort',
    'Model                          Port',
    '----------',
    'gphoto2 ',
    'libgphoto2 ',
    '2.5',
    '2.5.28',
    'Usage:',
    'unknown option',
  ];
  const atom = fc.constantFrom(...ATOMS);
  /** One atom repeated (a few times, or up to 40,000 characters): long runs are what made the old expressions backtrack. */
  const run = fc
    .tuple(
      atom,
      fc.oneof(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 100, max: 40_000 }).map((n) => -n),
      ),
    )
    .map(([a, n]): [string, number] => [a, n > 0 ? n : Math.ceil(-n / a.length)]);
  /** 1 MB made of a cycle of runs, with or without line breaks. */
  const hostileMB = fc.tuple(fc.array(run, { minLength: 1, maxLength: 24 }), fc.boolean()).map(([runs, noNewlines]) => {
    const unit = runs.map(([a, n]) => a.repeat(n)).join('');
    const text = unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
    const recipe = `1 MB of (${runs.map(([a, n]) => `${JSON.stringify(a)} x ${n}`).join(' + ')})${noNewlines ? ' with line breaks made spaces' : ''}`;
    return new Hostile(noNewlines ? text.replace(/[\r\n]/g, ' ') : text, recipe);
  });
  /** Known bad shapes, always tried first. */
  const worstCases = [
    new Hostile(`*** Error:${' '.repeat(MB - 11)}x`, "the issue's case at 1 MB: '*** Error:' + spaces + 'x'"),
    new Hostile(
      `*** Error:${' '.repeat(3000)}x\n`.repeat(MB / 3012),
      "the issue's case line after line: ('*** Error:' + 3,000 spaces + 'x\\n') x 348",
    ),
    new Hostile(`*** Error (${"'".repeat(MB - 20)}') ***`, "'*** Error (' + quotes + \"') ***\""),
    new Hostile(`Saving file as ${' '.repeat(MB - 20)}x`, "'Saving file as ' + spaces + 'x'"),
    new Hostile(
      `New file is in location ${' on the camera '.repeat(MB / 16)}x`,
      "'New file is in location ' + ' on the camera ' x 65536 + 'x'",
    ),
    new Hostile(`Canon${' '.repeat(MB - 10)}x`, "an --auto-detect row without a port: 'Canon' + spaces + 'x'"),
    new Hostile(
      `Model Port\n----------\n${`${'a '.repeat(400)}x\n`.repeat(MB / 802)}`,
      "an --auto-detect table of rows ('a ' x 400 + 'x')",
    ),
    new Hostile(`ERROR: ${' '.repeat(MB - 10)}x`, "'ERROR: ' + spaces + 'x'"),
    new Hostile('\n'.repeat(MB), 'line breaks only'),
    new Hostile(' '.repeat(MB), 'spaces only'),
    new Hostile(
      `${'x'.repeat(900)} ${' '.repeat(100)}\n`.repeat(MB / 1002),
      "lines just under 1 KB: 'x' x 900 + spaces",
    ),
  ];

  describe('gphoto2 output parsers on hostile output (linear time, bounded work)', function () {
    this.timeout(180_000);

    it('parse 1 MB of hostile output within a small multiple of a linear pass over the same bytes (fast-check, in a worker)', async () => {
      await assertLinearTime({
        file: __filename,
        inputs: hostileMB,
        worstCases,
        generated: 15,
        maxRatio: MAX_RATIO,
        hangRatio: HANG_RATIO,
      });
    });

    it('still finds the error at the end of 1 MB of noise (only the last 64 KB is read, from a line start)', () => {
      const noise = `${'noise line\n'.repeat(MB / 11)}${'x'.repeat(200_000)}\n`;
      const busy = fixture('claim-usb-device-busy');
      const e = gp.classifyOutcome(
        { ...outcomeOf(busy), stderr: noise + busy.stderr, stdout: noise },
        { job: 'Capture', command: 'gphoto2', timeoutMs: 1000 },
      );
      assert.strictEqual(e?.kind, 'busy');
      assert.strictEqual(e?.details.gphoto2Code, -53);
      assert.deepStrictEqual(gp.parseErrors(noise + fixture('summary-no-camera').stderr), [
        { code: -105, codeText: 'Unknown model', message: 'Could not detect any camera' },
      ]);
      // An error more than 64 KB before the end is out of reach; the cut never makes half a line parse as one.
      const early = `${fixture('summary-no-camera').stderr}${'y\n'.repeat(MAX_PARSED)}`;
      assert.deepStrictEqual(gp.parseErrors(early), []);
      assert.deepStrictEqual(gp.parseSavedFiles(`${'z'.repeat(MAX_PARSED)}Saving file as /not/a/line/start.jpg\n`), []);
      // The stderr tail for the log keeps its lines short.
      assert.ok((e?.details.stderrTail ?? '').length < 8 * (MAX_LINE + 2));
    });

    it('skips lines over 1 KB (no real gphoto2 line is that long) and keeps the ones around them', () => {
      const long = `Saving file as /${'d'.repeat(MAX_LINE)}/a.jpg`;
      assert.deepStrictEqual(
        gp.parseSavedFiles(`Saving file as /tmp/one.jpg\n${long}\nSaving file as /tmp/two.jpg\n`),
        ['/tmp/one.jpg', '/tmp/two.jpg'],
      );
      const longError = `*** Error:${' '.repeat(MAX_LINE)}x ***`;
      assert.deepStrictEqual(gp.parseErrors(`${longError}\n*** Error: No camera found. ***\n`), [
        { code: -2000, message: 'No camera found.' },
      ]);
    });

    it('gives the same results as the regular expressions it replaced, on short mixed output (fast-check)', () => {
      const line = fc
        .array(fc.constantFrom(...ATOMS.filter((a) => !a.includes('\n'))), { maxLength: 8 })
        .map((xs) => xs.join(''));
      const text = fc
        .tuple(fc.array(line, { maxLength: 10 }), fc.constantFrom('\n', '\r\n'))
        .map(([ls, nl]) => ls.join(nl));
      const corpus = fc.oneof(text, fc.constantFrom(...allFixtureTexts()));
      fc.assert(
        fc.property(corpus, corpus, fc.integer({ min: -1, max: 1 }), (stderr, stdout, exitCode) => {
          for (const t of [stderr, stdout]) {
            assert.deepStrictEqual(gp.parseErrors(t), old.parseErrors(t));
            assert.deepStrictEqual(gp.parseSavedFiles(t), old.parseSavedFiles(t));
            assert.deepStrictEqual(gp.parseNewCameraFiles(t), old.parseNewCameraFiles(t));
            assert.deepStrictEqual(gp.parseFailureLines(t), old.parseFailureLines(t));
            assert.deepStrictEqual(
              outcome(() => gp.parseVersion(t)),
              outcome(() => old.parseVersion(t)),
            );
            assert.deepStrictEqual(
              outcome(() => gp.parseAutoDetect(t)),
              outcome(() => old.parseAutoDetect(t)),
            );
          }
          const ctx = { job: 'Capture', command: 'gphoto2', timeoutMs: 1000 };
          const run = { stdout, stderr, exitCode, timedOut: false, cancelled: false };
          assert.deepStrictEqual(summary(gp.classifyOutcome(run, ctx)), summary(old.classifyOutcome(run, ctx)));
        }),
        { numRuns: 3000 },
      );
    });
  });
}

function allFixtureTexts(): string[] {
  const names = [
    'auto-detect-no-camera',
    'camera-without-port',
    'claim-usb-device-busy',
    'port-malformed',
    'remembered-camera-no-device',
    'summary-no-camera',
    'unknown-option',
    'vcamera-capture-image-and-download',
    'vcamera-capture-movie-stdout',
    'vcamera-capture-preview',
    'vcamera-download-existing-target',
    'vcamera-download-readonly-folder-nobody',
    'version',
  ];
  return names.flatMap((n) => [fixture(n).stdout, fixture(n).stderr]);
}

function outcome<T>(f: () => T): { value: T } | { error: string } {
  try {
    return { value: f() };
  } catch (err) {
    return { error: err instanceof CameraError ? `${err.kind}: ${err.message}` : String(err) };
  }
}

function summary(e: CameraError | undefined): unknown {
  return e && { kind: e.kind, message: e.message, code: e.details.gphoto2Code, tail: e.details.stderrTail };
}

/**
 * The regular-expression parsers of dbc60e4, as the reference for what the new ones must keep
 * doing, with two corrections where the old behaviour was an accident of the expressions: `\s+`
 * after "gphoto2" could run across a line break, and a captured value could be a lone space
 * (`Saving file as` followed only by spaces). Only ever run on short text: they backtrack.
 */
const old = {
  parseVersion(stdout: string): gp.Gphoto2Version {
    const first = /^gphoto2[^\S\r\n]+(\d+(?:\.\d+)+\S*)/m.exec(stdout);
    if (!first)
      throw new CameraError(
        'badOutput',
        `This does not look like gphoto2: "--version" printed ${old.describeOutput(stdout)}. Check the gphoto2 path setting.`,
        {},
        ['openSettings', 'showLog'],
      );
    const lib = /^libgphoto2[^\S\r\n]+(\d+(?:\.\d+)+\S*)/m.exec(stdout);
    return lib ? { gphoto2: first[1], libgphoto2: lib[1] } : { gphoto2: first[1] };
  },
  parseAutoDetect(stdout: string): gp.DetectedCamera[] {
    const lines = stdout.split(/\r?\n/);
    const dashes = lines.findIndex((l) => /^-{10,}\s*$/.test(l));
    if (dashes < 0 || !/^\s*Model\s+Port\s*$/.test(lines[dashes - 1] ?? '')) {
      throw new CameraError(
        'badOutput',
        `gphoto2 --auto-detect printed something unexpected: ${old.describeOutput(stdout)}. Is the gphoto2 path setting pointing at gphoto2?`,
        {},
        ['openSettings', 'showLog'],
      );
    }
    const cameras: gp.DetectedCamera[] = [];
    for (const line of lines.slice(dashes + 1)) {
      if (line.trim() === '') continue;
      const row = /^(.*\S)\s+(\S+:\S*)\s*$/.exec(line);
      if (!row)
        throw new CameraError(
          'badOutput',
          `gphoto2 --auto-detect printed a row it cannot read: "${line.trim()}".`,
          {},
          ['showLog'],
        );
      cameras.push({ model: row[1].trim(), port: row[2] });
    }
    return cameras;
  },
  parseErrors(output: string): gp.Gphoto2ErrorBlock[] {
    const blocks: gp.Gphoto2ErrorBlock[] = [];
    let collecting: string[] | undefined;
    for (const raw of output.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '*** Error ***') {
        collecting = [];
        continue;
      }
      const coded = /\*\*\* Error \((-?\d+): '([^']*)'\) \*\*\*$/.exec(line);
      if (coded) {
        const before = line.slice(0, coded.index).trim();
        const message = [...(collecting ?? []), ...(before ? [before] : [])].join(' ').trim();
        blocks.push({ code: Number(coded[1]), codeText: coded[2], message });
        collecting = undefined;
        continue;
      }
      const oneLine = /^\*\*\* Error:?\s*(.*?)\s*\*\*\*$/.exec(line);
      if (oneLine) {
        blocks.push({ code: /No camera found/i.test(oneLine[1]) ? -2000 : undefined, message: oneLine[1] });
        continue;
      }
      if (collecting && line !== '') collecting.push(line);
    }
    if (collecting && collecting.length > 0) blocks.push({ message: collecting.join(' ') });
    return blocks;
  },
  parseSavedFiles(stdout: string): string[] {
    return [...stdout.matchAll(/^Saving file as (.+?)\s*$/gm)].map((m) => m[1]).filter((v) => v.trim() !== '');
  },
  parseNewCameraFiles(stdout: string): string[] {
    return [...stdout.matchAll(/^New file is in location (.+) on the camera\s*$/gm)].map((m) => m[1]);
  },
  parseFailureLines(output: string): string[] {
    return [...output.matchAll(/^(ERROR: .+?|Sorry, your .+?)\s*$/gm)]
      .map((m) => m[1])
      .filter((v) => !/^(ERROR:|Sorry, your)\s*$/.test(v));
  },
  classifyOutcome(outcome: gp.ProcessOutcome, ctx: gp.ClassifyContext): CameraError | undefined {
    // The text-reading part of the old classifyOutcome (the spawn/cancel/timeout branches read no text).
    const output = `${outcome.stderr}\n${outcome.stdout}`;
    const noLiveView = /^.*does not support LiveView.*$/im.exec(output);
    const stderrTail = outcome.stderr
      .split(/\r?\n/)
      .filter((l) => l.trim() !== '')
      .slice(-8)
      .join('\n');
    const base = { stderrTail, exitCode: outcome.exitCode, signal: outcome.signal };
    if (noLiveView)
      return new CameraError(
        'unsupported',
        `${ctx.job} is not possible: the camera does not support live view ("${noLiveView[0].trim()}").`,
        { ...base, gphoto2Code: -6 },
      );
    const errors = old.parseErrors(output);
    const known = errors.find((e) => e.code !== undefined) ?? errors[0];
    if (known) return old.errorFromGphoto2Code(known, ctx, base);
    if (outcome.exitCode !== 0 && /^Usage:|unknown option|bad argument/im.test(output)) {
      const first =
        output
          .split(/\r?\n/)
          .find((l) => l.trim() !== '')
          ?.trim() ?? '';
      return new CameraError(
        'failed',
        `${ctx.job} failed: gphoto2 rejected its arguments (${first}). Your gphoto2 may be too old; gphoto2 2.5 or newer is needed.`,
        base,
        ['showLog'],
      );
    }
    const failure = old.parseFailureLines(output)[0];
    if (outcome.exitCode !== 0)
      return new CameraError(
        'failed',
        `${ctx.job} failed: gphoto2 exited with code ${outcome.exitCode}${failure ? ` ("${failure}")` : ''}. See the log for its output.`,
        base,
      );
    if (failure)
      return new CameraError(
        'failed',
        `${ctx.job} failed although gphoto2 exited normally: "${failure}". Check the camera (focus, card, battery) and try again.`,
        base,
      );
    return undefined;
  },
  errorFromGphoto2Code(
    e: gp.Gphoto2ErrorBlock,
    ctx: gp.ClassifyContext,
    base: { stderrTail: string; exitCode?: number; signal?: string },
  ): CameraError {
    const details = { ...base, gphoto2Code: e.code };
    const said = [e.message, e.codeText].filter(Boolean).join(' ');
    switch (e.code) {
      case -53:
        return new CameraError(
          'busy',
          `${ctx.job} failed: another program holds the camera (gphoto2: "Could not claim the USB device"). On Linux this is usually gvfs-gphoto2-volume-monitor, on macOS PTPCamera/ptpcamerad. Run Cleanup to stop it, then try again.`,
          details,
        );
      case -110:
        return new CameraError(
          'busy',
          `${ctx.job} failed: the camera reports it is busy (still writing to its card, focusing, or in a menu). Wait a moment and try again.`,
          details,
          ['retry', 'cleanup', 'showLog'],
        );
      case -105:
      case -2000:
      case -52:
        return new CameraError(
          'notFound',
          `${ctx.job} failed: no camera found. Check that the camera is switched on, connected by USB, and not in mass-storage mode; or use the simulated camera.`,
          details,
        );
      case -5:
        return new CameraError(
          'badSetting',
          `${ctx.job} failed: gphoto2 does not know the port in "cameraTether.port" (${said}). Clear the setting or pick a port from "Camera: Detect Camera".`,
          { ...details, setting: 'cameraTether.port' },
        );
      case -6:
        return new CameraError('unsupported', `${ctx.job} is not supported by this camera (${said}).`, details);
      case -3:
        return new CameraError(
          'storageFull',
          `${ctx.job} failed: the camera's card or memory is full (${said}). Free space on the card, or let downloads delete images from the camera.`,
          details,
        );
      case -7:
      case -1:
      case -10:
        return new CameraError(
          'io',
          `${ctx.job} failed: the camera connection had an I/O problem (${said}). Check the cable, run Cleanup and try again.`,
          details,
        );
      default:
        return new CameraError(
          'failed',
          `${ctx.job} failed: gphoto2 said "${said || 'unknown error'}"${e.code !== undefined ? ` (${e.code})` : ''}. See the log for details.`,
          details,
        );
    }
  },
  describeOutput(text: string): string {
    const t = text.trim();
    if (t === '') return 'nothing';
    return `"${t.length > 120 ? `${t.slice(0, 120)}…` : t}"`;
  },
};
