// The settings parsers read text that is not ours (camera, lens and owner names, a broken or hostile
// binary) on the extension host's only thread. Like test/unit/gphoto2Hostile.test.ts: 1 MB of
// generated hostile output must parse within a small multiple of a linear pass over the same
// bytes (timed in a worker, so a regression fails instead of freezing the run); whatever gphoto2
// prints in its own format must come back exactly (a round trip, fast-check); and the bounds hold
// (1 MiB of listing, 8 KiB lines, 64 KB of stderr).
import * as assert from 'assert';
import fc from 'fast-check';
import { isMainThread } from 'worker_threads';
import {
  closeNames,
  contextMessages,
  judgeWrites,
  parseConfigListing,
  parseGetConfigBlocks,
  planWrites,
  setConfigMessages,
  settingsFromWidgets,
  type ConfigWidget,
} from '../../src/camera/config';
import { MAX_CONFIG_CHARS, MAX_CONFIG_LINE_CHARS } from '../../src/camera/config/configParser';
import { fixture } from '../support/fixtures';
import { assertLinearTime, Hostile, serveTimings } from '../support/linearTime';

const MB = 1024 * 1024;
const RUNS = 5;
/** Parsing (listing, settings model, messages, a judged write) may cost this many linear passes. */
const MAX_RATIO = 12;
const HANG_RATIO = 2000;

/** Everything the settings code does with gphoto2's output after a read, a write or a locked capture. */
function parseEverything(text: string): number {
  const widgets = parseConfigListing(text);
  const settings = settingsFromWidgets(widgets);
  let n = widgets.length + settings.length + parseGetConfigBlocks(text).length + setConfigMessages(text).length;
  n += closeNames('f-numbr', settings).length;
  // A long name asked for (a script's typo) against many long, similar names: the costly comparison.
  n += closeNames(`${'a'.repeat(60)}zz`, settings).length;
  const writable = settings.filter((s) => !s.readonly && s.type === 'text').slice(0, 3);
  const plans = planWrites(
    writable,
    writable.map((s) => ({ name: s.path, value: 'x' })),
  );
  n += judgeWrites(plans, { stdout: text, stderr: text }).failures.length;
  return n;
}

if (!isMainThread) {
  serveTimings(parseEverything, RUNS);
} else {
  const ATOMS = [
    ' ',
    '   ',
    '\t',
    '\n',
    '\r\n',
    '\n\n',
    '/',
    '/main/',
    '/main/capturesettings/f-number',
    'Label: ',
    'Label: F-Number',
    'Readonly: 1',
    'Readonly: 0',
    'Type: RADIO',
    'Type: MENU',
    'Type: RANGE',
    'Type: TEXT',
    'Type: TOGGLE',
    'Type: DATE',
    'Current: ',
    'Current: (null)',
    'Choice: ',
    'Choice: 0 ',
    'Choice: 99999 f/8',
    'Bottom: ',
    'Top: 4.29497e+09',
    'Step: -',
    'Printable: ',
    'END',
    '*** Error ***',
    "Property 'f-number' not found.",
    'Failed to set new configuration value ',
    ' for configuration entry ',
    "Sorry, the property '",
    "' / 0x5001 is currently read-only.",
    ' not found in configuration tree.',
    'The passed value ',
    ' is not within the expected range ',
    ' - ',
    "'",
    ':',
    'x',
    'é',
    '0x',
  ];
  const atom = fc.constantFrom(...ATOMS);
  const run = fc
    .tuple(
      atom,
      fc.oneof(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 100, max: 40_000 }).map((n) => -n),
      ),
    )
    .map(([a, n]): [string, number] => [a, n > 0 ? n : Math.ceil(-n / a.length)]);
  const hostileMB = fc.tuple(fc.array(run, { minLength: 1, maxLength: 24 }), fc.boolean()).map(([runs, noNewlines]) => {
    const unit = runs.map(([a, n]) => a.repeat(n)).join('');
    const text = unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
    const recipe = `1 MB of (${runs.map(([a, n]) => `${JSON.stringify(a)} x ${n}`).join(' + ')})${noNewlines ? ' with line breaks made spaces' : ''}`;
    return new Hostile(noNewlines ? text.replace(/[\r\n]/g, ' ') : text, recipe);
  });
  const tinyWidget = (i: number): string => `/main/s/n${i}\nLabel: L${i}\nType: TEXT\nCurrent: v\nEND\n`;
  const worstCases = [
    new Hostile(
      Array.from(
        { length: Math.floor(MB / 100) },
        (_, i) => `/main/s/${'a'.repeat(60)}${i}\nLabel: L\nType: TEXT\nCurrent: v\nEND\n`,
      ).join(''),
      'ten thousand widgets with long, similar names (close-name search)',
    ),
    new Hostile(
      `/main/a\nLabel: x\nType: RADIO\nCurrent: a\n${'Choice: 0 a\n'.repeat(MB / 12)}`,
      'one RADIO widget with 87,000 choices',
    ),
    new Hostile(
      Array.from({ length: Math.floor(MB / 40) }, (_, i) => tinyWidget(i)).join(''),
      'tiny TEXT widgets, tens of thousands of distinct names',
    ),
    new Hostile(`Label: ${' '.repeat(MB - 20)}x\n`, "'Label: ' + 1 MB of spaces (one line, over the line limit)"),
    new Hostile(`${'Label: a\n'.repeat(MB / 9)}`, 'Label lines only (every one starts a widget)'),
    new Hostile(
      `*** Error ***\n${'Failed to set new configuration value  for configuration entry .\n'.repeat(MB / 64)}`,
      'refusal texts',
    ),
    new Hostile(`${"Sorry, the property '".repeat(MB / 21)}' / 0x5001 is currently read-only.`, 'quotes without end'),
    new Hostile(`${'/main/x'.repeat(MB / 7)}`, 'one 1 MB path line'),
    new Hostile('\n'.repeat(MB), 'line breaks only'),
  ];

  describe('settings parsers on hostile output (linear time, bounded work)', function () {
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

    it("gives back exactly what gphoto2's print_widget printed (round trip, fast-check)", () => {
      // Texts as a camera may hold them: anything on one line without trailing blanks.
      const text = fc
        .string({
          maxLength: 30,
          unit: fc.constantFrom('a', 'Z', '0', '9', ' ', '/', ':', "'", '-', '.', 'é', '日', '+', '(', ')'),
        })
        .map((s) => s.trimEnd())
        .filter((s) => s !== '(null)');
      const name = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', 'z', '0', '-', '_') });
      // fc.record builds null-prototype objects: spread them into plain ones to compare.
      const widget: fc.Arbitrary<ConfigWidget> = fc
        .oneof(
          fc.record({
            path: name.map((n) => `/main/capturesettings/${n}`),
            label: text,
            readonly: fc.boolean(),
            type: fc.constantFrom('radio' as const, 'menu' as const),
            current: text,
            choices: fc.array(text, { maxLength: 6 }),
          }),
          fc.record({
            path: name.map((n) => `/main/settings/${n}`),
            label: text,
            readonly: fc.boolean(),
            type: fc.constant('text' as const),
            current: text,
          }),
          fc.record({
            path: name.map((n) => `/main/status/${n}`),
            label: text,
            readonly: fc.boolean(),
            type: fc.constant('toggle' as const),
            current: fc.constantFrom('0', '1', '2'),
          }),
          fc
            .record({
              path: name.map((n) => `/main/other/${n}`),
              label: text,
              readonly: fc.boolean(),
              b: fc.integer({ min: -1000, max: 0 }),
              t: fc.integer({ min: 1, max: 5000 }),
              s: fc.integer({ min: 1, max: 10 }),
            })
            .map(({ b, t, s, ...w }) => ({
              ...w,
              type: 'range' as const,
              current: String(b),
              bottom: b,
              top: t,
              step: s,
            })),
        )
        .map((w) => ({ ...w }));
      const block = (w: ConfigWidget): string => {
        let out = `Label: ${w.label}\nReadonly: ${w.readonly ? 1 : 0}\nType: ${w.type.toUpperCase()}\nCurrent: ${w.current}\n`;
        if (w.type === 'range') out += `Bottom: ${w.bottom}\nTop: ${w.top}\nStep: ${w.step}\n`;
        (w.choices ?? []).forEach((c, i) => (out += `Choice: ${i} ${c}\n`));
        return `${out}END\n`;
      };
      fc.assert(
        fc.property(fc.array(widget, { maxLength: 12 }), (ws) => {
          assert.deepStrictEqual(parseConfigListing(ws.map((w) => `${w.path}\n${block(w)}`).join('')), ws);
          // The same blocks as --get-config read-backs (no path lines), mixed with a capture's lines.
          const getConfig = ws.map((w) => `New file is in location /x on the camera\n${block(w)}`).join('');
          assert.deepStrictEqual(
            parseGetConfigBlocks(getConfig),
            ws.map(({ path: _p, ...w }) => w),
          );
        }),
        { numRuns: 500 },
      );
    });

    it('never throws on arbitrary text, and what it returns comes from lines within the limits', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 400, unit: fc.constantFrom(...ATOMS) }), (t) => {
          for (const w of [...parseConfigListing(t), ...parseGetConfigBlocks(t)]) {
            assert.ok(w.label.length <= MAX_CONFIG_LINE_CHARS);
            assert.ok(w.current.length <= MAX_CONFIG_LINE_CHARS);
          }
          setConfigMessages(t);
          settingsFromWidgets(parseConfigListing(t));
        }),
        { numRuns: 2000 },
      );
    });

    it('reads only the first 1 MiB of a listing (from a line start) and skips lines over 8 KiB, marking their widget', () => {
      const real = fixture('vcamera-list-all-config').stdout;
      const padding = `/main/pad\nLabel: pad\nType: TEXT\nCurrent: ${'p'.repeat(1000)}\nEND\n`;
      const big = `${real}${padding.repeat(Math.ceil(MAX_CONFIG_CHARS / padding.length))}/main/late\nLabel: Late\nType: TEXT\nCurrent: x\nEND\n`;
      const widgets = parseConfigListing(big);
      assert.ok(widgets.some((w) => w.path === '/main/capturesettings/f-number'));
      assert.ok(!widgets.some((w) => w.path === '/main/late'), 'past 1 MiB');
      const long = parseConfigListing(
        `/main/owner\nLabel: Owner\nType: TEXT\nCurrent: ${'o'.repeat(MAX_CONFIG_LINE_CHARS + 1)}\nEND\n/main/ok\nLabel: Ok\nType: TEXT\nCurrent: y\nEND\n`,
      );
      assert.deepStrictEqual(long, [
        { path: '/main/owner', label: 'Owner', readonly: false, type: 'text', current: '', incomplete: true },
        { path: '/main/ok', label: 'Ok', readonly: false, type: 'text', current: 'y' },
      ]);
    });

    it('reads the refusal texts from the last 64 KB of stderr', () => {
      const refused = fixture('vcamera-set-config-value-refused').stderr;
      assert.strictEqual(contextMessages(`${'noise\n'.repeat(20_000)}${refused}`).length, 2);
      assert.deepStrictEqual(contextMessages(`${refused}${'noise\n'.repeat(20_000)}`), []);
    });
  });
}
