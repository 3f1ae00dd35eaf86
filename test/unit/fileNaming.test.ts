import * as assert from 'assert';
import * as path from 'path';
import { checkRollName, inside, NamingError, parseFilenamePattern, safeExtension } from '../../src/capture/fileNaming';

const when = new Date(2026, 10, 24, 9, 5, 7);

describe('fileNaming', () => {
  describe('parseFilenamePattern', () => {
    it('renders zero-padded frame numbers and the other tokens', () => {
      assert.strictEqual(parseFilenamePattern('frame-{frame:04}').render(7, { roll: 'r1', when }), 'frame-0007');
      assert.strictEqual(
        parseFilenamePattern('{roll}_{frame:3}_{date}_{time}').render(12, { roll: 'kodak', when }),
        'kodak_012_2026-11-24_090507',
      );
      assert.strictEqual(parseFilenamePattern('img{frame}').render(12345, { roll: 'r', when }), 'img12345');
    });

    it('reads frame numbers back from file names, including re-shot suffixes and any extension', () => {
      const p = parseFilenamePattern('frame-{frame:04}');
      assert.strictEqual(p.frameOf('frame-0007.JPG'), 7);
      assert.strictEqual(p.frameOf('frame-0012.nef'), 12);
      assert.strictEqual(p.frameOf('frame-0003_2.JPG'), 3);
      assert.strictEqual(p.frameOf('frame-10000.JPG'), 10000);
      assert.strictEqual(p.frameOf('notes.txt'), undefined);
      assert.strictEqual(p.frameOf('frame-0007'), undefined, 'no extension: not a capture');
      assert.strictEqual(p.frameOf('.camera-tether-roll.json'), undefined);
    });

    const bad: [string, RegExp][] = [
      ['frame', /must contain \{frame\} exactly once/],
      ['{frame}-{frame}', /exactly once/],
      ['../{frame}', /"\.\."|contains one of/],
      ['sub/{frame}', /contains one of/],
      ['C:\\x{frame}', /contains one of/],
      ['{frame:04', /unmatched/],
      ['{frames}', /unknown token \{frames\}/],
      ['a\u0007{frame}', /control characters/],
      ['.{frame}', /starts with a dot/],
      ['{frame}.', /ends with a dot/],
      ['x'.repeat(200) + '{frame}', /longer than/],
      ['com{frame}', /reserved device name/],
      ['LPT{frame:1}', /reserved device name/],
    ];
    for (const [pattern, message] of bad) {
      it(`rejects ${JSON.stringify(pattern.slice(0, 20))} naming the setting`, () => {
        assert.throws(
          () => parseFilenamePattern(pattern),
          (err: unknown) =>
            err instanceof NamingError && message.test(err.message) && err.setting === 'cameraTether.filenamePattern',
        );
      });
    }

    it('a roll name that makes {roll}{frame} a Windows device name (com + 1 = COM1) is refused by checkRoll and render', () => {
      const p = parseFilenamePattern('{roll}{frame}');
      const reserved = (err: unknown) =>
        err instanceof NamingError && /roll name "com".*frame 1 "com1", a reserved device name/.test(err.message);
      assert.throws(() => p.checkRoll('com'), reserved);
      assert.throws(() => p.checkRoll('LPT'), NamingError);
      assert.throws(() => p.render(1, { roll: 'com', when: new Date() }), reserved);
      assert.strictEqual(
        p.render(12, { roll: 'com', when: new Date() }),
        'com12',
        'only the names that are devices are refused',
      );
      for (const fine of ['comet', 'co', 'roll-com']) assert.doesNotThrow(() => p.checkRoll(fine), fine);
      assert.doesNotThrow(
        () => parseFilenamePattern('frame-{frame}').checkRoll('com'),
        'without {roll} the roll name never reaches the file name',
      );
      assert.doesNotThrow(() => parseFilenamePattern('{roll}-{frame}').checkRoll('com'), 'com-1 is no device');
    });
  });

  describe('checkRollName', () => {
    it('accepts ordinary names and trims them', () => {
      assert.strictEqual(checkRollName('  Kodak Gold 200 #3 '), 'Kodak Gold 200 #3');
    });
    for (const name of ['', '..', 'a/b', 'a\\b', '/abs', 'CON', 'lpt1.txt', 'x\ny', 'end.', 'a..b']) {
      it(`rejects ${JSON.stringify(name)}`, () => {
        assert.throws(() => checkRollName(name), NamingError);
      });
    }
  });

  it('inside() refuses names that leave the folder', () => {
    const folder = path.resolve('/tmp/out');
    assert.strictEqual(inside(folder, 'roll-1'), path.join(folder, 'roll-1'));
    assert.throws(() => inside(folder, '../x'), NamingError);
    assert.throws(() => inside(folder, 'a/b'), NamingError);
    assert.throws(() => inside(folder, '/etc/passwd'), NamingError);
  });

  it('safeExtension keeps letters and digits only', () => {
    assert.strictEqual(safeExtension('JPG'), 'JPG');
    assert.strictEqual(safeExtension('.nef'), 'nef');
    assert.strictEqual(safeExtension('../x'), 'x');
    assert.strictEqual(safeExtension(''), 'bin');
  });
});
