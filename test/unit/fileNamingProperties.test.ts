// Property-based tests (fast-check) for the names the user controls: roll names, the filename
// pattern, inside(), and the CaptureStore that puts captures on disk. Whatever string comes in
// (with "..", separators, control characters, reserved device names, very long, any Unicode) it is
// either refused with a NamingError or ends up as a path strictly inside the output folder; and no
// sequence of captures, counter changes, restarts and foreign files ever overwrites a file.
import * as assert from 'assert';
import fc from 'fast-check';
import { promises as fs } from 'fs';
import * as path from 'path';
import { CaptureStore, TEST_FOLDER, type RollInfo, type StagedFile } from '../../src/capture/captureStore';
import {
  checkNameComponent,
  checkRollName,
  inside,
  MAX_NAME_LENGTH,
  NamingError,
  parseFilenamePattern,
  safeExtension,
  type FilenamePattern,
} from '../../src/capture/fileNaming';
import { tempDir } from '../support/simulatorHarness';

/** Pieces that make names dangerous, mixed with random text. */
const FRAGMENTS = [
  '..',
  '.',
  '...',
  '/',
  '//',
  '\\',
  '\0',
  '\n',
  '\r',
  '\t',
  '\u0001',
  '\u001f',
  '\u007f',
  ' ',
  '  ',
  'CON',
  'con',
  'nul',
  'NUL.txt',
  'com1',
  'COM9.jpg',
  'LPT1',
  'aux',
  'prn',
  '~',
  '~/',
  '$HOME',
  '${workspaceFolder}',
  ':',
  '*',
  '?',
  '"',
  '<',
  '>',
  '|',
  'C:',
  'C:\\',
  '/etc/passwd',
  '../../etc',
  '%2e%2e',
  'test-captures',
  '.camera-tether-staging',
  'é',
  'e\u0301',
  '日本',
  '🎞',
  '\u202e',
  '\ufeff',
  '\u00a0',
  '\u2028',
  'a',
  'roll',
  '-',
  '_',
  '1',
  '007',
  '{',
  '}',
  '{frame}',
  '{frame:04}',
  '{frame:12}',
  '{frame:99}',
  '{roll}',
  '{date}',
  '{time}',
  '{nope}',
  '{}',
];

const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FRAGMENTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }) },
);
const nasty = fc.array(fragment, { maxLength: 10 }).map((parts) => parts.join(''));
const veryLong = fc
  .tuple(fc.constantFrom('a', 'é', '日', '🎞', '.', '/', 'ab-'), fc.integer({ min: 40, max: 300 }))
  .map(([c, n]) => c.repeat(n));
/** Any string a user could type, paste or sync in from another machine. */
const anyName = fc.oneof(
  { weight: 4, arbitrary: nasty },
  { weight: 1, arbitrary: veryLong },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
);

/** Names that pass checkRollName (for use as the {roll} token). */
const validRoll = fc
  .oneof(
    fc.constantFrom('roll-001', 'Kodak Gold 200 #3', 'scan_1', 'a', 'Film 12', 'rollé', 'x'.repeat(MAX_NAME_LENGTH)),
    nasty,
  )
  .filter((s) => accepts(() => checkRollName(s)));

const ROOT = path.resolve('/srv/ct-props/output');

function accepts(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (err) {
    if (err instanceof NamingError) return false;
    throw err;
  }
}

/** The property: refused with a NamingError (true), or accepted (false). Any other error fails. */
function refused(f: () => unknown): boolean {
  return !accepts(f);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A single path component that stays where it is put, on Linux, macOS and Windows. */
function assertSafeComponent(name: string, what: string): void {
  assert.ok(name.length > 0, `${what}: not empty`);
  assert.ok(!/[<>:"/\\|?*]/.test(name), `${what}: no separators or reserved characters in ${JSON.stringify(name)}`);
  assert.ok(!CONTROL.test(name), `${what}: no control characters in ${JSON.stringify(name)}`);
  assert.ok(name !== '.' && name !== '..' && !name.includes('..'), `${what}: no ".." in ${JSON.stringify(name)}`);
  assert.ok(
    !/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i.test(name),
    `${what}: not a Windows device name: ${JSON.stringify(name)}`,
  );
}

function assertStrictlyInside(folder: string, full: string, what: string): void {
  assert.strictEqual(
    path.dirname(full),
    path.resolve(folder),
    `${what}: ${JSON.stringify(full)} is directly inside ${folder}`,
  );
  assert.notStrictEqual(path.resolve(full), path.resolve(folder), `${what}: not the folder itself`);
  assert.ok(!path.relative(folder, full).startsWith('..'), `${what}: does not leave ${folder}`);
}

describe('file naming properties (fast-check)', () => {
  describe('checkRollName', () => {
    it('refuses with NamingError, or returns a trimmed, safe, idempotent name that stays inside the output folder', () => {
      fc.assert(
        fc.property(anyName, (name) => {
          if (refused(() => checkRollName(name))) return;
          const roll = checkRollName(name);
          assert.strictEqual(roll, name.trim());
          assertSafeComponent(roll, 'roll');
          assert.ok(!roll.startsWith('.'), 'not hidden');
          assert.ok(!/[. ]$/.test(roll), 'no trailing dot or space');
          assert.ok(Buffer.byteLength(roll) <= MAX_NAME_LENGTH, `at most ${MAX_NAME_LENGTH} bytes`);
          assert.strictEqual(checkRollName(roll), roll, 'idempotent');
          assertStrictlyInside(ROOT, inside(ROOT, roll), 'roll folder');
        }),
        { numRuns: 3000 },
      );
    });

    it('refuses every name made only of dangerous pieces that would leave the folder', () => {
      fc.assert(
        fc.property(
          fc.constantFrom('..', '/', '\\', '../', '/..', '..\\', '\0'),
          fc.string({ maxLength: 5 }),
          fc.string({ maxLength: 5 }),
          (danger, before, after) => {
            const name = `${before}${danger}${after}`;
            assert.ok(
              refused(() => checkRollName(name)),
              JSON.stringify(name),
            );
          },
        ),
      );
    });
  });

  describe('inside()', () => {
    it('refuses with NamingError, or returns a path directly inside the folder', () => {
      const folder = fc.constantFrom(ROOT, `${ROOT}/`, '/', '/tmp/a b/ü', '/srv/x/../y', 'relative/out');
      fc.assert(
        fc.property(folder, anyName, (dir, name) => {
          if (refused(() => inside(dir, name))) return;
          assertStrictlyInside(dir, inside(dir, name), 'inside()');
        }),
        { numRuns: 3000 },
      );
    });
  });

  describe('parseFilenamePattern', () => {
    const patternLike = fc.oneof(
      anyName,
      // Mostly-valid patterns: a {frame} token somewhere among other pieces.
      fc
        .tuple(nasty, fc.constantFrom('{frame}', '{frame:04}', '{frame:1}', '{frame:12}'), nasty)
        .map(([a, f, b]) => `${a}${f}${b}`),
    );
    const frameNumber = fc.integer({ min: 1, max: 999_999 });
    const when = fc.date({ min: new Date(1990, 0, 1), max: new Date(2200, 0, 1), noInvalidDate: true });
    const extension = fc.oneof(fc.constantFrom('JPG', 'NEF', 'cr3', 'heic', '.jpg', ''), anyName);

    it('refuses with NamingError, or every rendered file name is one safe component inside the roll folder', () => {
      // Leading/trailing whitespace is excluded here: see the skipped test below (a bug).
      fc.assert(
        fc.property(
          patternLike.filter((p) => p === p.trim()),
          frameNumber,
          validRoll,
          when,
          extension,
          fc.integer({ min: 1, max: 999 }),
          (source, frame, roll, date, ext, reshot) => {
            let pattern: FilenamePattern;
            try {
              pattern = parseFilenamePattern(source);
            } catch (err) {
              assert.ok(err instanceof NamingError, `only NamingError, got ${String(err)}`);
              assert.strictEqual(err.setting, 'cameraTether.filenamePattern');
              return;
            }
            const base = pattern.render(frame, { roll: checkRollName(roll), when: date });
            for (const stem of [base, `${base}_${reshot}`]) {
              const name = `${stem}.${safeExtension(ext)}`;
              assertSafeComponent(name, `rendered ${JSON.stringify(source)}`);
              assertStrictlyInside(ROOT, inside(ROOT, name), 'rendered file');
            }
          },
        ),
        { numRuns: 3000 },
      );
    });

    it('a pattern without {roll}: the frame number reads back from every name it renders (also re-shot and any extension)', () => {
      const noRoll = fc.tuple(
        fc.constantFrom('', 'frame-', 'img', 'IMG_', 'a1', '{date}_', '{time}', 'x.'),
        fc.constantFrom('{frame}', '{frame:04}', '{frame:6}'),
        fc.constantFrom('', '-a', '_{date}', '{time}', '_2', '.v', '5'),
      );
      fc.assert(
        fc.property(
          noRoll,
          frameNumber,
          when,
          fc.constantFrom('JPG', 'nef', 'CR3'),
          fc.integer({ min: 2, max: 999 }),
          ([a, f, b], frame, date, ext, reshot) => {
            const pattern = parseFilenamePattern(`${a}${f}${b}`);
            const base = pattern.render(frame, { roll: 'r', when: date });
            assert.strictEqual(pattern.frameOf(`${base}.${ext}`), frame, `${pattern.source}: ${base}.${ext}`);
            assert.strictEqual(
              pattern.frameOf(`${base}_${reshot}.${ext}`),
              frame,
              `${pattern.source}: re-shot ${base}_${reshot}.${ext}`,
            );
            assert.strictEqual(pattern.frameOf(base), undefined, 'a name without extension is not a capture');
          },
        ),
        { numRuns: 2000 },
      );
    });

    // Regression test (fixed bug in src/capture/fileNaming.ts, parseFilenamePattern): the pattern's literal text is checked
    // after trim() (inside checkNameComponent) but rendered untrimmed, so a tab, newline, CR, form
    // feed or spaces at either end of the pattern pass the check and end up in every file name
    // (e.g. "frame-{frame}\n" gives "frame-1\n.JPG"). See the report.
    it('a pattern with a control character or space at either end is refused', () => {
      for (const source of [
        '\t{frame:04}',
        'frame-{frame}\n',
        '\r\n{frame}',
        '{frame}\u000b',
        ' {frame}',
        'frame-{frame} ',
      ]) {
        let rendered = '';
        const ok = accepts(() => (rendered = parseFilenamePattern(source).render(1, { roll: 'r', when: new Date() })));
        assert.ok(
          !ok || rendered === rendered.trim(),
          `${JSON.stringify(source)} is refused, or renders without the whitespace (got ${JSON.stringify(rendered)})`,
        );
      }
      fc.assert(
        fc.property(fc.constantFrom('\t', '\n', '\r', '\f', '\v', ' '), fc.boolean(), (ws, atStart) => {
          const source = atStart ? `${ws}frame-{frame}` : `frame-{frame}${ws}`;
          if (refused(() => parseFilenamePattern(source))) return;
          assertSafeComponent(
            `${parseFilenamePattern(source).render(1, { roll: 'r', when: new Date() })}.JPG`,
            JSON.stringify(source),
          );
        }),
      );
    });

    // Regression test (fixed bug in src/capture/fileNaming.ts, frameOf): {roll} is matched with a lazy `.+?`, so digits at the
    // end of the roll name, or "_<digits>" inside it, are read as the frame number. With
    // "{roll}{frame:04}" and roll "roll-001", frame 1 ("roll-0010001.JPG") reads back as 10001, so
    // the next capture becomes frame 10002; with "{roll}_{frame}" and roll "scan_1" every file
    // reads back as frame 1. See the report: frameOf should match the current roll name literally.
    it('a pattern with {roll}: the frame number reads back from every name it renders', () => {
      // The roll a file is read in is known; frameOf matches it literally.
      assert.strictEqual(
        parseFilenamePattern('{roll}{frame:04}').frameOf('roll-0010001.JPG', 'roll-001'),
        1,
        'roll "roll-001", frame 1',
      );
      assert.strictEqual(
        parseFilenamePattern('{roll}_{frame}').frameOf('scan_1_5.JPG', 'scan_1'),
        5,
        'roll "scan_1", frame 5',
      );
      fc.assert(
        fc.property(
          fc.constantFrom('{roll}{frame}', '{roll}_{frame:04}', '{roll}-{frame:3}', '{frame}{roll}', '{frame}_{roll}'),
          validRoll,
          frameNumber,
          (source, roll, frame) => {
            const pattern = parseFilenamePattern(source);
            const name = `${pattern.render(frame, { roll, when: new Date() })}.JPG`;
            assert.strictEqual(
              pattern.frameOf(name, roll),
              frame,
              `${source} with roll ${JSON.stringify(roll)}: ${name}`,
            );
          },
        ),
      );
    });

    // Names must fit ext4/APFS/NTFS's 255 bytes as a whole, not just piecewise: a pattern that could
    // exceed it with the longest roll name is refused when it is set.
    it('every accepted pattern and roll name give file names that fit a file system (255 bytes)', () => {
      fc.assert(
        fc.property(
          fc.constantFrom(
            '{roll}{roll}{roll}{frame}',
            '{roll}{roll}-{frame:12}',
            `{roll}-${'p'.repeat(115)}{frame:12}`,
          ),
          fc.constant('r'.repeat(MAX_NAME_LENGTH)),
          (source, roll) => {
            let pattern;
            try {
              pattern = parseFilenamePattern(source);
            } catch (err) {
              assert.ok(err instanceof NamingError && /longer than 255 bytes/.test(err.message), String(err));
              return; // refused up front: fine
            }
            const name = `${pattern.render(999_999, { roll: checkRollName(roll), when: new Date() })}_999.${safeExtension('HEIC')}`;
            assert.ok(Buffer.byteLength(name) <= 255, `${source}: ${Buffer.byteLength(name)} bytes`);
          },
        ),
      );
    });
  });

  describe('CaptureStore', () => {
    let base: string;
    beforeEach(async () => {
      base = await tempDir('ct-props-');
    });
    afterEach(() => fs.rm(base, { recursive: true, force: true }));

    it("a roll name is refused (NamingError; the test folder's own error) or its folder is created directly inside the output folder, nothing outside", async () => {
      const output = path.join(base, 'output');
      await fs.mkdir(output);
      let opened = 0;
      await fc.assert(
        fc.asyncProperty(anyName, async (name) => {
          const store = new CaptureStore(output, parseFilenamePattern('frame-{frame:04}'), 'start');
          let info: RollInfo;
          try {
            info = await store.openRoll(name);
          } catch (err) {
            const testFolder =
              err instanceof Error && !(err instanceof NamingError) && checkRollName(name) === TEST_FOLDER;
            assert.ok(
              err instanceof NamingError || testFolder,
              `only NamingError, got ${String(err)} for ${JSON.stringify(name)}`,
            );
            return;
          }
          opened++;
          assertStrictlyInside(output, info.folder, 'roll folder');
          assert.strictEqual(info.folder, store.rollFolder);
          assert.ok((await fs.stat(info.folder)).isDirectory());
          assert.deepStrictEqual(await fs.readdir(base), ['output'], 'nothing created beside the output folder');
        }),
        { numRuns: 400 },
      );
      assert.ok(opened > 20, `enough accepted names were tried (${opened})`);
    });

    it('the constructor refuses what openRoll refuses', () => {
      fc.assert(
        fc.property(anyName, (name) => {
          const ok = accepts(() => checkRollName(name));
          assert.strictEqual(
            accepts(() => new CaptureStore(ROOT, parseFilenamePattern('{frame}'), name)),
            ok,
          );
          if (ok)
            assertStrictlyInside(
              ROOT,
              new CaptureStore(ROOT, parseFilenamePattern('{frame}'), name).rollFolder,
              'rollFolder',
            );
        }),
        { numRuns: 1000 },
      );
    });

    type Op =
      | { kind: 'capture'; exts: string[] }
      | { kind: 'twoAtOnce' }
      | { kind: 'setNext'; n: number }
      | { kind: 'test' }
      | { kind: 'foreign'; frame: number; suffix: string; ext: string }
      | { kind: 'restart' };

    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        weight: 5,
        arbitrary: fc
          .subarray(['JPG', 'NEF', 'CR3', 'xmp'], { minLength: 1 })
          .map((exts): Op => ({ kind: 'capture', exts })),
      },
      { weight: 1, arbitrary: fc.constant<Op>({ kind: 'twoAtOnce' }) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }).map((n): Op => ({ kind: 'setNext', n })) },
      { weight: 1, arbitrary: fc.constant<Op>({ kind: 'test' }) },
      {
        weight: 1,
        arbitrary: fc
          .record({
            frame: fc.integer({ min: 1, max: 6 }),
            suffix: fc.constantFrom('', '_2', '_3'),
            ext: fc.constantFrom('JPG', 'jpg', 'NEF', 'txt'),
          })
          .map((f): Op => ({ kind: 'foreign', ...f })),
      },
      { weight: 1, arbitrary: fc.constant<Op>({ kind: 'restart' }) },
    );
    const setup = fc.record({
      pattern: fc.constantFrom(
        'frame-{frame:04}',
        '{frame}',
        '{roll}_{frame}',
        'img{frame:2}x',
        '{frame}_2',
        '{roll}{frame:04}',
      ),
      roll: fc.constantFrom('roll-001', 'scan_1', 'Film 12'),
    });

    it('no sequence of captures, counter changes, restarts, parallel commits and foreign files ever overwrites a file', async () => {
      let seq = 0;
      await fc.assert(
        fc.asyncProperty(
          setup,
          fc.array(op, { minLength: 1, maxLength: 14 }),
          async ({ pattern: source, roll }, ops) => {
            const output = path.join(base, `run-${++seq}`);
            const pattern = parseFilenamePattern(source);
            let store = new CaptureStore(output, pattern, roll);
            await store.openRoll(roll);
            /** Every file that must never change: its path and its bytes. */
            const kept = new Map<string, string>();
            let unique = 0;
            let overridden = false;

            const stage = async (exts: string[]): Promise<StagedFile[]> => {
              const dir = await store.newStagingDir();
              const id = ++unique;
              return Promise.all(
                exts.map(async (ext) => {
                  const p = path.join(dir, `IMG_${id}.${ext}`);
                  const content = `exposure ${id} ${ext} ${Math.random()}`;
                  await fs.writeFile(p, content);
                  return { path: p, bytes: Buffer.byteLength(content), extension: ext };
                }),
              );
            };
            const commit = async (exts: string[], test = false): Promise<void> => {
              const staged = await stage(exts);
              const contents = await Promise.all(staged.map((s) => fs.readFile(s.path, 'utf8')));
              const before = await store.nextFrame();
              const r = test
                ? await store.commitTest(staged, new Date(2026, 0, 1, 12, 0, 0))
                : await store.commitFrame(staged);
              const folder = test ? store.testFolder : store.rollFolder;
              assert.strictEqual(r.files.length, staged.length);
              const stems = new Set(r.files.map((f) => f.name.slice(0, f.name.lastIndexOf('.'))));
              assert.strictEqual(
                stems.size,
                1,
                `one exposure, one name stem: ${r.files.map((f) => f.name).join(', ')}`,
              );
              if ('frame' in r) assert.strictEqual(r.frame, before, 'the frame number is the one the counter showed');
              else assert.ok(test, 'only a test capture has no frame number');
              r.files.forEach((f, i) => {
                assert.ok(!kept.has(f.path), `${f.name} is a new file, not an existing one`);
                assertStrictlyInside(folder, f.path, 'committed file');
                kept.set(f.path, contents[i]);
              });
            };

            for (const o of ops) {
              switch (o.kind) {
                case 'capture':
                  await commit(o.exts);
                  break;
                case 'twoAtOnce': {
                  // Two stores committing at the same instant: both land, neither overwrites. Only
                  // without a set counter: with one, both rewrite the counter file through the same
                  // temp name (one process), which the skipped test below shows.
                  if (overridden) break;
                  const [a, b] = await Promise.all([stage(['JPG']), stage(['JPG'])]);
                  const [ca, cb] = await Promise.all([fs.readFile(a[0].path, 'utf8'), fs.readFile(b[0].path, 'utf8')]);
                  const other = new CaptureStore(output, pattern, roll);
                  const [ra, rb] = await Promise.all([store.commitFrame(a), other.commitFrame(b)]);
                  assert.notStrictEqual(ra.files[0].path, rb.files[0].path);
                  for (const [r, c] of [
                    [ra, ca],
                    [rb, cb],
                  ] as const) {
                    assert.ok(!kept.has(r.files[0].path), `${r.files[0].name} is new`);
                    kept.set(r.files[0].path, c);
                  }
                  break;
                }
                case 'setNext':
                  overridden = true;
                  assert.strictEqual(await store.setNextFrame(o.n), o.n);
                  assert.strictEqual(await store.nextFrame(), o.n);
                  break;
                case 'test':
                  await commit(['JPG'], true);
                  break;
                case 'foreign': {
                  // A file the user (or another program) put into the roll: never ours to replace.
                  const name = `${pattern.render(o.frame, { roll, when: new Date() })}${o.suffix}.${o.ext}`;
                  const p = path.join(store.rollFolder, name);
                  if (kept.has(p) || (await fs.stat(p).catch(() => undefined))) break;
                  const content = `foreign ${name}`;
                  await fs.writeFile(p, content);
                  kept.set(p, content);
                  break;
                }
                case 'restart':
                  store = new CaptureStore(output, pattern, roll);
                  break;
              }
              for (const [p, content] of kept)
                assert.strictEqual(await fs.readFile(p, 'utf8'), content, `${path.basename(p)} kept its bytes`);
            }
            const onDisk = (await fs.readdir(store.rollFolder)).filter((n) => !n.startsWith('.'));
            assert.strictEqual(
              onDisk.length,
              [...kept.keys()].filter((p) => path.dirname(p) === store.rollFolder).length,
              'every file in the roll is accounted for',
            );
            await fs.rm(output, { recursive: true, force: true });
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  // Regression test (fixed bug in src/capture/captureStore.ts, writeFileAtomic): the counter file is written through a temp
  // file named `<file>.<pid>.tmp`, the same for every write in one process, and setNextFrame is
  // not queued behind captures (TetherSession.setNextFrame calls the store directly while
  // commitFrame may be calling setNextFrame(frame + 1) for a set counter). Two overlapping writes
  // race on one temp file: one rename fails with ENOENT. See the report.
  it('two counter writes at the same time in one process both succeed', async () => {
    const out = await tempDir('ct-props-race-');
    try {
      const store = new CaptureStore(out, parseFilenamePattern('frame-{frame:04}'), 'roll-1');
      await store.openRoll('roll-1');
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.setNextFrame(i + 1)));
      assert.deepStrictEqual(
        results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)),
        [],
      );
      assert.ok((await store.nextFrame()) >= 1);
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });

  it('checkNameComponent reports the setting it was given', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        try {
          checkNameComponent(name, 'The thing', 'cameraTether.x');
        } catch (err) {
          assert.ok(err instanceof NamingError);
          assert.strictEqual(err.setting, 'cameraTether.x');
          assert.ok(err.message.startsWith('The thing'), err.message);
        }
      }),
    );
  });
});
