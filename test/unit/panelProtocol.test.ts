// The preview panel's message gate (src/ui/panelProtocol.ts): whatever the webview posts, only the
// known message shapes reach the extension, rebuilt from checked fields; everything else is dropped
// and nothing throws. VALID is typed per message type, so adding a WebviewMessage type without
// examples here is a compile error.
import * as assert from 'assert';
import fc from 'fast-check';
import {
  PANEL_COMMANDS,
  parseRollView,
  parseViewState,
  parseWebviewMessage,
  type PanelErrorAction,
  type WebviewMessage,
} from '../../src/ui/panelProtocol';

type Examples = { [K in WebviewMessage['type']]: Extract<WebviewMessage, { type: K }>[] };

const ERROR_ACTIONS: PanelErrorAction[] = ['cleanup', 'showLog', 'openSettings', 'useSimulator', 'retry'];

const VALID: Examples = {
  ready: [{ type: 'ready' }],
  command: PANEL_COMMANDS.map((command) => ({ type: 'command', command })),
  displayed: [
    { type: 'displayed', seq: 0, width: 0, height: 0 },
    { type: 'displayed', seq: 1, width: 640, height: 424 },
    { type: 'displayed', seq: 999_999_999, width: 8256, height: 5504 },
  ],
  errorAction: ERROR_ACTIONS.map((action) => ({ type: 'errorAction', action })),
  liveAck: [
    { type: 'liveAck', seq: 0, shown: true },
    { type: 'liveAck', seq: 42, shown: false },
    { type: 'liveAck', seq: 999_999_999, shown: true },
  ],
  setSetting: [
    { type: 'setSetting', path: '/main/capturesettings/f-number', index: 0 },
    { type: 'setSetting', path: '/main/capturesettings/f-number', index: 12 },
    { type: 'setSetting', path: '/main/imgsettings/iso', value: '400' },
    { type: 'setSetting', path: '/main/capturesettings/autowhitebias', value: '' },
    { type: 'setSetting', path: '/main/other/5007', value: 'f/8 ½ ünïcode' },
  ],
  exposureAction: (['read', 'lock', 'unlock', 'all'] as const).map((action) => ({ type: 'exposureAction', action })),
  thumbnails: [
    { type: 'thumbnails', strip: 'frames', keys: [] },
    { type: 'thumbnails', strip: 'frames', keys: ['1', '2', '1000'] },
    { type: 'thumbnails', strip: 'tests', keys: ['test-2026-11-30-101112'] },
  ],
  frameAction: [
    { type: 'frameAction', action: 'reshoot', frame: 1 },
    { type: 'frameAction', action: 'reject', frame: 9999 },
  ],
  rollView: [
    { type: 'rollView', roll: 'roll-01', view: { negative: 'slide', rotate: 0, mirror: false } },
    {
      type: 'rollView',
      roll: 'portra',
      view: { negative: 'colour', base: [210, 140, 90], rotate: 270, mirror: true },
    },
  ],
};

const ALL_VALID: WebviewMessage[] = Object.values(VALID).flat();

/** Values a number field must never accept. */
const BAD_COUNTS: unknown[] = [
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  1e9,
  2 ** 53,
  '1',
  '0',
  null,
  undefined,
  true,
  [1],
  { valueOf: () => 1 },
  BigInt(1),
];
/** Values a string field must never accept. */
const BAD_STRINGS: unknown[] = [
  1,
  null,
  undefined,
  true,
  ['capture'],
  { toString: () => 'capture' },
  new String('capture'),
];

function dropped(value: unknown, why: string): void {
  assert.strictEqual(parseWebviewMessage(value), undefined, `${why}: ${show(value)} must be dropped`);
}

function show(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A message as the webview's structured clone could deliver it: a fresh plain object. */
const clone = <T>(m: T): T => structuredClone(m);

describe('panel protocol: parseWebviewMessage', () => {
  it('accepts every valid shape and returns it field for field', () => {
    for (const m of ALL_VALID) assert.deepStrictEqual(parseWebviewMessage(clone(m)), m);
  });

  it('returns a new object built from checked fields, not the object it was given', () => {
    for (const m of ALL_VALID) {
      const given = clone(m);
      const parsed = parseWebviewMessage(given);
      assert.notStrictEqual(parsed, given, `${m.type}: not the webview's own object`);
    }
  });

  it('drops anything that is not a plain object with a string type', () => {
    for (const v of [
      undefined,
      null,
      0,
      1,
      '',
      'ready',
      true,
      [],
      [{ type: 'ready' }],
      ['ready'],
      new Date(0),
      new Map([['type', 'ready']]),
      new Uint8Array([1]),
      BigInt(0),
    ])
      dropped(v, 'not a message object');
    for (const type of [undefined, null, 1, true, ['ready'], { toString: () => 'ready' }, new String('ready')])
      dropped({ type }, 'type is not a string');
    dropped({}, 'no type');
  });

  it('drops unknown types, including look-alikes and Object.prototype names', () => {
    for (const type of [
      '',
      'READY',
      'Ready',
      ' ready',
      'ready ',
      'capture',
      'preview',
      'state',
      'error',
      'liveFrame',
      'liveStatus',
      'commands',
      'execute',
      'eval',
      'constructor',
      'toString',
      '__proto__',
      'hasOwnProperty',
      'valueOf',
    ]) {
      dropped({ type }, `unknown type "${type}"`);
      dropped(
        { type, command: 'capture', seq: 1, width: 1, height: 1, action: 'retry' },
        `unknown type "${type}" with plausible fields`,
      );
    }
  });

  it("command: only the panel's own commands, never an arbitrary VS Code command id", () => {
    for (const command of [
      '',
      'Capture',
      'capture ',
      'cameraTether.capture',
      'workbench.action.terminal.new',
      'toggleLiveView',
      'detectCamera',
      'newRoll',
      'setFrameNumber',
      'useSimulator',
      'constructor',
      'toString',
      '__proto__',
    ]) {
      dropped({ type: 'command', command }, `command "${command}"`);
    }
    for (const command of BAD_STRINGS) dropped({ type: 'command', command }, 'command is not a string');
    dropped({ type: 'command' }, 'command missing');
  });

  it('errorAction: only the known actions', () => {
    for (const action of ['', 'Retry', 'openSetting', 'cameraTether.cleanup', 'constructor', 'runCommand'])
      dropped({ type: 'errorAction', action }, `action "${action}"`);
    for (const action of BAD_STRINGS) dropped({ type: 'errorAction', action }, 'action is not a string');
    dropped({ type: 'errorAction' }, 'action missing');
  });

  it('displayed: seq, width and height are all whole numbers from 0 below 1e9', () => {
    const good = { type: 'displayed', seq: 1, width: 10, height: 10 };
    for (const field of ['seq', 'width', 'height'] as const) {
      for (const bad of BAD_COUNTS) dropped({ ...good, [field]: bad }, `displayed.${field}`);
      const { [field]: _omitted, ...missing } = good;
      dropped(missing, `displayed without ${field}`);
    }
  });

  it("displayed: `what` is absent, 'preview' or 'capture'; anything else drops the message", () => {
    const good = { type: 'displayed', seq: 1, width: 10, height: 10 };
    assert.deepStrictEqual(parseWebviewMessage({ ...good, what: 'capture' }), { ...good, what: 'capture' });
    assert.deepStrictEqual(parseWebviewMessage({ ...good, what: 'preview' }), good);
    for (const what of ['', 'Capture', 'live', null, 1, ['capture'], new String('capture')])
      dropped({ ...good, what }, `displayed.what ${String(what)}`);
  });

  it('setSetting: a setting path and exactly one of a whole-number index or a short one-line value', () => {
    const path = '/main/capturesettings/f-number';
    for (const bad of BAD_COUNTS) dropped({ type: 'setSetting', path, index: bad }, 'setSetting.index');
    for (const bad of BAD_STRINGS) dropped({ type: 'setSetting', path, value: bad }, 'setSetting.value');
    for (const value of ['f/8\n--capture-image', 'a\u0000b', 'x'.repeat(201), '\u001b[31m'])
      dropped({ type: 'setSetting', path, value }, `setSetting.value ${show(value)}`);
    for (const p of [
      '',
      'f-number',
      '/',
      '/main//f-number',
      '/main/f number',
      '/main/../etc',
      '--capture-image',
      '/a'.repeat(9),
    ])
      dropped({ type: 'setSetting', path: p, index: 1 }, `setSetting.path ${show(p)}`);
    dropped({ type: 'setSetting', path, index: 1, value: 'f/8' }, 'both index and value');
    dropped({ type: 'setSetting', path }, 'neither index nor value');
    dropped({ type: 'setSetting', path, index: 1, extra: true }, 'an extra field');
  });

  it('exposureAction: only read, lock, unlock and all', () => {
    for (const action of ['', 'Lock', 'capture', 'cameraTether.lockExposure', 'constructor', ...BAD_STRINGS])
      dropped({ type: 'exposureAction', action }, `exposureAction ${show(action)}`);
    dropped({ type: 'exposureAction', action: 'lock', path: '/main' }, 'an extra field');
  });

  it('liveAck: seq is a whole number from 0 below 1e9, shown a boolean', () => {
    for (const bad of BAD_COUNTS) dropped({ type: 'liveAck', seq: bad, shown: true }, 'liveAck.seq');
    for (const bad of [0, 1, 'true', null, undefined, [true], new Boolean(true)])
      dropped({ type: 'liveAck', seq: 1, shown: bad }, 'liveAck.shown');
    dropped({ type: 'liveAck', shown: true }, 'liveAck without seq');
    dropped({ type: 'liveAck', seq: 1 }, 'liveAck without shown');
  });

  it('extra junk never reaches the extension: the message is dropped or the junk is stripped', () => {
    const junk: Record<string, unknown> = {
      extra: 1,
      command2: 'workbench.action.terminal.new',
      args: ['rm -rf /'],
      __proto__x: { polluted: true },
    };
    for (const m of ALL_VALID) {
      const parsed = parseWebviewMessage({ ...clone(m), ...junk });
      if (parsed !== undefined) assert.deepStrictEqual(parsed, m, `${m.type}: only the known fields come through`);
    }
    // ready and liveAck, whose every field is checked, reject junk outright.
    dropped({ type: 'ready', extra: 1 }, 'ready with extra fields');
    dropped({ type: 'liveAck', seq: 1, shown: true, extra: 1 }, 'liveAck with extra fields');
  });

  it('an own "__proto__" key (as JSON.parse makes it) neither pollutes nor passes', () => {
    const polluted: unknown = JSON.parse('{"type":"ready","__proto__":{"isAdmin":true}}');
    dropped(polluted, 'ready with an own __proto__ key');
    const command: unknown = JSON.parse('{"type":"command","command":"capture","__proto__":{"command":"newRoll"}}');
    const parsed = parseWebviewMessage(command);
    assert.deepStrictEqual(parsed, { type: 'command', command: 'capture' });
    assert.strictEqual(Object.getPrototypeOf(parsed), Object.prototype);
    assert.strictEqual(({} as Record<string, unknown>).isAdmin, undefined, 'Object.prototype untouched');
  });

  it('a null-prototype object with a valid shape is accepted like a plain one', () => {
    const m = Object.assign(Object.create(null) as Record<string, unknown>, { type: 'command', command: 'capture' });
    assert.deepStrictEqual(parseWebviewMessage(m), { type: 'command', command: 'capture' });
  });

  describe('properties (fast-check)', () => {
    const validMessage = fc.constantFrom(...ALL_VALID);
    const junkKey = fc
      .string({ minLength: 1, maxLength: 12 })
      .filter((k) => !['type', 'command', 'seq', 'width', 'height', 'action'].includes(k));

    it('never throws on anything, and returns undefined or exactly one of the valid shapes', () => {
      fc.assert(
        fc.property(
          fc.anything({
            withBigInt: true,
            withDate: true,
            withMap: true,
            withSet: true,
            withTypedArray: true,
            withNullPrototype: true,
            withSparseArray: true,
          }),
          (value) => {
            const parsed = parseWebviewMessage(value);
            if (parsed !== undefined) assert.ok(isWellFormed(parsed), show(parsed));
          },
        ),
        { numRuns: 2000 },
      );
    });

    it('random objects with a known type and random fields: accepted only when well-formed, never with junk', () => {
      const fieldValue = fc.oneof(
        fc.integer({ min: -5, max: 2e9 }),
        fc.double(),
        fc.constantFrom(...PANEL_COMMANDS, ...ERROR_ACTIONS, 'newRoll', ''),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
      );
      const candidate = fc.record(
        {
          type: fc.constantFrom<string>(...Object.keys(VALID), 'other'),
          command: fieldValue,
          seq: fieldValue,
          width: fieldValue,
          height: fieldValue,
          action: fieldValue,
        },
        { requiredKeys: ['type'] },
      );
      fc.assert(
        fc.property(candidate, fc.dictionary(junkKey, fc.anything(), { maxKeys: 3 }), (c, junk) => {
          const value = { ...junk, ...c };
          const parsed = parseWebviewMessage(value);
          if (parsed === undefined) return;
          assert.ok(isWellFormed(parsed), show(parsed));
          assert.strictEqual(parsed.type, value.type);
          for (const key of Object.keys(parsed))
            assert.ok(key === 'type' || key in c, `key ${key} came from the checked fields, not the junk`);
        }),
        { numRuns: 3000 },
      );
    });

    it('parse is idempotent and a valid message with junk added parses to the message or nothing', () => {
      fc.assert(
        fc.property(validMessage, fc.dictionary(junkKey, fc.anything(), { maxKeys: 4 }), (m, junk) => {
          assert.deepStrictEqual(parseWebviewMessage(parseWebviewMessage(clone(m))), m);
          const parsed = parseWebviewMessage({ ...junk, ...clone(m) });
          if (parsed !== undefined) assert.deepStrictEqual(parsed, m);
        }),
      );
    });
  });
});

describe('panel protocol: parseViewState', () => {
  const defaults = { zoom: 'fit', grid: false, histogram: false, clipping: false };
  it('keeps valid state and falls back field by field for anything else', () => {
    assert.deepStrictEqual(parseViewState({ zoom: '100', grid: true, histogram: true, clipping: true }), {
      zoom: '100',
      grid: true,
      histogram: true,
      clipping: true,
    });
    assert.deepStrictEqual(parseViewState({ zoom: 'fit', grid: false, histogram: false, clipping: false }), defaults);
    for (const junk of [
      undefined,
      null,
      'x',
      7,
      [],
      [{ zoom: '100' }],
      { zoom: 100, grid: 1, histogram: 'true', clipping: {} },
      { zoom: '200' },
    ]) {
      assert.deepStrictEqual(parseViewState(junk), defaults, show(junk));
    }
    // A page saved before the negative mode moved to the roll's view still loads (its invert is dropped).
    assert.deepStrictEqual(parseViewState({ zoom: '100', invert: true, extra: 'x' }), { ...defaults, zoom: '100' });
  });

  it('never throws and always returns the four fields with their allowed values', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true }), (value) => {
        const s = parseViewState(value);
        assert.deepStrictEqual(Object.keys(s).sort(), ['clipping', 'grid', 'histogram', 'zoom']);
        assert.ok(s.zoom === 'fit' || s.zoom === '100');
        assert.strictEqual(typeof s.grid, 'boolean');
        assert.strictEqual(typeof s.histogram, 'boolean');
        assert.strictEqual(typeof s.clipping, 'boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('panel protocol: the filmstrip and roll view messages', () => {
  it('accepts thumbnail requests of strip keys only, a bounded number at a time', () => {
    assert.deepStrictEqual(parseWebviewMessage({ type: 'thumbnails', strip: 'frames', keys: ['1', '200'] }), {
      type: 'thumbnails',
      strip: 'frames',
      keys: ['1', '200'],
    });
    assert.deepStrictEqual(
      parseWebviewMessage({ type: 'thumbnails', strip: 'tests', keys: ['test-2026-11-30-101112'] }),
      { type: 'thumbnails', strip: 'tests', keys: ['test-2026-11-30-101112'] },
    );
    for (const bad of [
      { type: 'thumbnails', strip: 'other', keys: ['1'] },
      { type: 'thumbnails', strip: 'frames', keys: ['../x'] },
      { type: 'thumbnails', strip: 'frames', keys: [1] },
      { type: 'thumbnails', strip: 'frames', keys: Array.from({ length: 201 }, (_, i) => String(i)) },
      { type: 'thumbnails', strip: 'frames' },
    ])
      assert.strictEqual(parseWebviewMessage(bad), undefined, show(bad));
  });

  it('accepts a reshoot or reject of a frame number, nothing else', () => {
    assert.deepStrictEqual(parseWebviewMessage({ type: 'frameAction', action: 'reject', frame: 3 }), {
      type: 'frameAction',
      action: 'reject',
      frame: 3,
    });
    for (const bad of [
      { type: 'frameAction', action: 'delete', frame: 3 },
      { type: 'frameAction', action: 'reshoot', frame: 0 },
      { type: 'frameAction', action: 'reshoot', frame: 1.5 },
      { type: 'frameAction', action: 'reshoot', frame: '3' },
    ])
      assert.strictEqual(parseWebviewMessage(bad), undefined, show(bad));
  });

  it('reads a roll view field by field, defaults for anything malformed', () => {
    assert.deepStrictEqual(parseRollView({ negative: 'colour', base: [200, 120, 80], rotate: 90, mirror: true }), {
      negative: 'colour',
      base: [200, 120, 80],
      rotate: 90,
      mirror: true,
    });
    assert.deepStrictEqual(parseRollView({ negative: 'x', base: [0, 300, 'a'], rotate: 45, mirror: 'yes' }), {
      negative: 'slide',
      rotate: 0,
      mirror: false,
    });
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true }), (value) => {
        const v = parseRollView(value);
        assert.ok(['slide', 'bw', 'colour'].includes(v.negative));
        assert.ok([0, 90, 180, 270].includes(v.rotate));
        assert.strictEqual(typeof v.mirror, 'boolean');
      }),
      { numRuns: 500 },
    );
  });
});

const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e9;

/** The shape check written independently of the code under test. */
function isWellFormed(m: WebviewMessage): boolean {
  const keys = Object.keys(m).sort().join(',');
  switch (m.type) {
    case 'ready':
      return keys === 'type';
    case 'command':
      return keys === 'command,type' && PANEL_COMMANDS.includes(m.command);
    case 'displayed':
      return keys === 'height,seq,type,width' && isCount(m.seq) && isCount(m.width) && isCount(m.height);
    case 'errorAction':
      return keys === 'action,type' && ERROR_ACTIONS.includes(m.action);
    case 'liveAck':
      return keys === 'seq,shown,type' && isCount(m.seq) && typeof m.shown === 'boolean';
    case 'setSetting':
      return (
        /^(\/[A-Za-z0-9][A-Za-z0-9_.-]*){1,8}$/.test(m.path) &&
        m.path.length <= 200 &&
        ((keys === 'index,path,type' && isCount(m.index)) ||
          (keys === 'path,type,value' &&
            typeof m.value === 'string' &&
            m.value.length <= 200 &&
            ![...m.value].some((c) => c.charCodeAt(0) < 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) < 0xa0))))
      );
    case 'exposureAction':
      return keys === 'action,type' && ['read', 'lock', 'unlock', 'all'].includes(m.action);
    case 'thumbnails':
      return (
        keys === 'keys,strip,type' &&
        (m.strip === 'frames' || m.strip === 'tests') &&
        m.keys.length <= 200 &&
        m.keys.every((k) => /^[A-Za-z0-9._-]{1,80}$/.test(k))
      );
    case 'frameAction':
      return (
        keys === 'action,frame,type' &&
        (m.action === 'reshoot' || m.action === 'reject') &&
        isCount(m.frame) &&
        m.frame > 0
      );
    case 'rollView':
      return keys === 'roll,type,view' && typeof m.roll === 'string';
  }
}
