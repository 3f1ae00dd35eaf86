// Camera settings (issue 11): the --list-all-config / --get-config parsers, the role table, write
// planning, argv builders, gphoto2's refusal texts and the jobs, all against real gphoto2 output
// recorded from Debian's gphoto2 2.5.28 with libgphoto2's virtual camera (test/fixtures/gphoto2).
import * as assert from 'assert';
import {
  applyExposureLock,
  checkExposureLock,
  classifyMessage,
  closeNames,
  contextMessages,
  judgeWrites,
  lockedExposure,
  modeKind,
  parseConfigListing,
  parseGetConfigBlocks,
  planWrite,
  planWrites,
  readAllSettingsArgs,
  readCameraSettings,
  resolveSetting,
  settingsFromWidgets,
  setConfigMessages,
  withExposureLock,
  writeCameraSettings,
  writeSettingsArgs,
  type CameraSetting,
  type Gphoto2RunResult,
  type RunGphoto2,
  withoutSettingMessages,
} from '../../src/camera/config';
import { CameraError } from '../../src/camera/errors';
import * as gp from '../../src/camera/gphoto2';
import { fixture, outcomeOf, type Gphoto2Fixture } from '../support/fixtures';

const VC = { model: 'Nikon DSC D750', port: 'usb:>/dev/null' };

function vcameraSettings(): CameraSetting[] {
  return settingsFromWidgets(parseConfigListing(fixture('vcamera-list-all-config').stdout));
}

function asRun(f: Gphoto2Fixture): Gphoto2RunResult {
  return { stdout: f.stdout, stderr: f.stderr, exitCode: f.exitCode };
}

/** A runner that answers each call with the next fixture and records the argv it was given. */
function replay(...answers: Gphoto2Fixture[]): RunGphoto2 & { calls: string[][] } {
  const calls: string[][] = [];
  const run = async (_label: string, args: string[]): Promise<Gphoto2RunResult> => {
    calls.push(args);
    const next = answers.shift();
    if (!next) throw new Error(`unexpected gphoto2 run: ${args.join(' ')}`);
    return asRun(next);
  };
  return Object.assign(run, { calls });
}

/** The queue's kind of runner: any gphoto2 error text becomes a thrown CameraError (classifyOutcome). */
function throwingReplay(...answers: Gphoto2Fixture[]): RunGphoto2 {
  return async (label) => {
    const next = answers.shift();
    if (!next) throw new Error('unexpected gphoto2 run');
    const error = gp.classifyOutcome(outcomeOf(next), { job: label, command: 'gphoto2', timeoutMs: 1000 });
    if (error) throw error;
    return asRun(next);
  };
}

async function rejection(p: Promise<unknown>): Promise<CameraError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CameraError, `expected a CameraError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('camera settings: parsing gphoto2 --list-all-config (virtual camera, gphoto2 2.5.28)', () => {
  const listing = fixture('vcamera-list-all-config').stdout;

  it('reads every widget of the real listing, one per path line, with its type', () => {
    const widgets = parseConfigListing(listing);
    const paths = listing.split('\n').filter((l) => l.startsWith('/main/'));
    assert.strictEqual(widgets.length, paths.length);
    assert.deepStrictEqual(
      widgets.map((w) => w.path),
      paths,
    );
    const types = new Set(widgets.map((w) => w.type));
    for (const t of ['radio', 'menu', 'toggle', 'text', 'date'] as const) assert.ok(types.has(t), `has a ${t}`);
  });

  it('keeps label, read-only flag, current value and choices in gphoto2 index order', () => {
    const widgets = parseConfigListing(listing);
    const f = widgets.find((w) => w.path === '/main/capturesettings/f-number');
    assert.deepStrictEqual(f && { ...f, choices: f.choices?.slice(0, 3) }, {
      path: '/main/capturesettings/f-number',
      label: 'F-Number',
      readonly: false,
      type: 'radio',
      current: 'f/2.8',
      choices: ['f/2.8', 'f/3.5', 'f/4'],
    });
    assert.strictEqual(f?.choices?.[8], 'f/8'); // Choice: 8 f/8
    assert.strictEqual(f?.choices?.length, 18);
    const battery = widgets.find((w) => w.path === '/main/status/batterylevel');
    assert.deepStrictEqual(battery, {
      path: '/main/status/batterylevel',
      label: 'Battery Level',
      readonly: true,
      type: 'text',
      current: '50%',
    });
    const date = widgets.find((w) => w.type === 'date');
    assert.match(date?.current ?? '', /^\d+$/);
    assert.ok(date?.printable);
    // `Current: ` with nothing after it (thumbsize) is an empty value, not a missing one.
    const thumb = widgets.find((w) => w.path === '/main/settings/thumbsize');
    assert.strictEqual(thumb?.current, '');
    assert.strictEqual(thumb?.incomplete, undefined);
    const menu = widgets.find((w) => w.path === '/main/other/5007');
    assert.deepStrictEqual([menu?.type, menu?.current, menu?.choices?.[0]], ['menu', '280', '280']);
  });

  it('maps the virtual camera (an emulated Nikon) to roles, and explains its read-only ones', () => {
    const settings = vcameraSettings();
    const roles = Object.fromEntries(settings.filter((s) => s.role).map((s) => [s.role, s.name]));
    assert.deepStrictEqual(roles, {
      aperture: 'f-number',
      shutter: 'shutterspeed',
      exposureCompensation: 'exposurecompensation',
      battery: 'batterylevel',
    });
    const battery = settings.find((s) => s.role === 'battery');
    assert.strictEqual(battery?.readonly, true);
    assert.match(battery?.disabledReason ?? '', /only reports/);
    // The raw PTP view /main/other/5001 is not a second battery.
    assert.strictEqual(settings.find((s) => s.path === '/main/other/5001')?.role, undefined);
    const f = settings.find((s) => s.name === 'f-number');
    assert.deepStrictEqual(
      f && { name: f.name, path: f.path, label: f.label, type: f.type, value: f.value, readonly: f.readonly },
      {
        name: 'f-number',
        path: '/main/capturesettings/f-number',
        label: 'F-Number',
        type: 'radio',
        value: 'f/2.8',
        readonly: false,
      },
    );
  });
});

describe('camera settings: parsing --get-config read-backs', () => {
  it('reads the blocks of several --get-config in option order (no path lines)', () => {
    const blocks = parseGetConfigBlocks(fixture('vcamera-set-several-read-back').stdout);
    assert.deepStrictEqual(
      blocks.map((b) => [b.label, b.current, b.path]),
      [
        ['F-Number', 'f/8', undefined],
        ['Shutter Speed', '0.0050s', undefined],
        ['Exposure Compensation', '-1', undefined],
      ],
    );
  });

  it("finds the read-back among a capture run's own lines", () => {
    const blocks = parseGetConfigBlocks(fixture('vcamera-exposure-lock-capture').stdout);
    assert.deepStrictEqual(
      blocks.map((b) => [b.label, b.current]),
      [['F-Number', 'f/8']],
    );
    // With -q a capture prints bare camera paths: never widget paths in --get-config output.
    const quiet = `/store_00010001/DCIM/100GPHOT/GPH_0099.JPG\n${fixture('vcamera-set-config-value-f-number-read-back').stdout}`;
    assert.strictEqual(parseGetConfigBlocks(quiet)[0].path, undefined);
  });

  it('marks `Current: (null)` (a value the camera does not list) as unset', () => {
    const [b] = parseGetConfigBlocks(fixture('vcamera-set-config-value-unlisted').stdout);
    assert.deepStrictEqual([b.current, b.unset], ['', true]);
  });

  it('reads the old format (no Readonly, no END) and RANGE bounds printed with %g', () => {
    const old = [
      '/main/actions/bulb                                                             ',
      'Label: Bulb Mode',
      'Type: TOGGLE',
      'Current: 2',
      '/main/status/availableshots',
      'Label: Available Shots',
      'Readonly: 1',
      'Type: RANGE',
      'Current: 0',
      'Bottom: 0',
      'Top: 4.29497e+09',
      'Step: 1',
      'END',
    ].join('\n');
    assert.deepStrictEqual(parseConfigListing(old), [
      { path: '/main/actions/bulb', label: 'Bulb Mode', readonly: false, type: 'toggle', current: '2' },
      {
        path: '/main/status/availableshots',
        label: 'Available Shots',
        readonly: true,
        type: 'range',
        current: '0',
        bottom: 0,
        top: 4.29497e9,
        step: 1,
      },
    ]);
  });
});

describe('camera settings: names, paths and roles', () => {
  const settings = vcameraSettings();

  it('resolves a name, a full path, a role and a label to the same setting', () => {
    for (const key of ['f-number', '/main/capturesettings/f-number', 'aperture', 'F-Number', 'f-NUMBER'])
      assert.strictEqual(resolveSetting(settings, key).path, '/main/capturesettings/f-number', key);
  });

  it('rejects an unknown name with a typed error listing close names', () => {
    let error: unknown;
    try {
      resolveSetting(settings, 'fnumber');
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof CameraError);
    assert.strictEqual(error.kind, 'cameraSetting');
    assert.strictEqual(error.details.cameraSetting?.problem, 'unknown');
    assert.ok(error.details.cameraSetting?.closeNames?.includes('f-number'), error.message);
    assert.match(error.message, /no setting "fnumber".*Did you mean "f-number"/);
    assert.deepStrictEqual(closeNames('shuterspeed', settings)[0], 'shutterspeed');
  });

  it('names a role the camera lacks and the names it tried', () => {
    assert.throws(
      () => resolveSetting(settings, 'iso'),
      (e: CameraError) => e.kind === 'cameraSetting' && /no ISO setting \(names tried: iso\)/.test(e.message),
    );
  });

  it('reads the mode dial the way libgphoto2 names its positions', () => {
    assert.deepStrictEqual(
      ['M', 'A', 'Av', 'S', 'Tv', 'P', 'Auto', 'Portrait', 'Intelligent Auto', 'Bulb'].map(modeKind),
      [
        'manual',
        'aperturePriority',
        'aperturePriority',
        'shutterPriority',
        'shutterPriority',
        'program',
        'automatic',
        'automatic',
        'automatic',
        'manual',
      ],
    );
  });
});

describe('camera settings: planning writes and the command line', () => {
  const settings = vcameraSettings();

  it('writes by value with one-element options, then reads every setting back, in one run', () => {
    const plans = planWrites(settings, [
      { name: 'aperture', value: 'f/8' },
      { name: 'shutterspeed', value: '0.0050s' },
      { name: '/main/capturesettings/exposurecompensation', value: -1 },
    ]);
    assert.deepStrictEqual(writeSettingsArgs(VC, plans), [
      '--camera=Nikon DSC D750',
      '--port=usb:>/dev/null',
      '--set-config-value=f-number=f/8',
      '--set-config-value=shutterspeed=0.0050s',
      '--set-config-value=exposurecompensation=-1',
      '--get-config=f-number',
      '--get-config=shutterspeed',
      '--get-config=exposurecompensation',
    ]);
    // The recorded run with the same writes (the fixture was made with this exact argv).
    assert.deepStrictEqual(
      writeSettingsArgs(VC, plans).slice(2),
      fixture('vcamera-set-several-read-back').args.slice(4),
    );
    assert.deepStrictEqual(readAllSettingsArgs(VC), [
      '--camera=Nikon DSC D750',
      '--port=usb:>/dev/null',
      '--list-all-config',
    ]);
  });

  it('uses --set-config-index only for an index the caller chose', () => {
    const p = planWrite(settings, { name: 'f-number', index: 8 });
    assert.deepStrictEqual([p.option, p.argument, p.expected], ['index', '8', 'f/8']);
    // A numeric-looking value stays a value (it is the text "0", not choice #0).
    const ev = planWrite(settings, { name: 'exposurecompensation', value: '0' });
    assert.deepStrictEqual([ev.option, ev.argument, ev.expected], ['value', '0', '0']);
  });

  it('names a setting by its path when its name is not unique in the tree', () => {
    const twice: CameraSetting[] = [
      ...settings,
      {
        name: 'f-number',
        path: '/main/other/f-number',
        label: 'F-Number',
        type: 'radio',
        value: 'f/2.8',
        readonly: false,
      },
    ];
    assert.strictEqual(
      planWrite(twice, { name: '/main/capturesettings/f-number', value: 'f/8' }).cliName,
      '/main/capturesettings/f-number',
    );
    assert.strictEqual(
      planWrite(settings, { name: '/main/capturesettings/f-number', value: 'f/8' }).cliName,
      'f-number',
    );
  });

  it('refuses before running gphoto2 what cannot succeed: read-only, a bad toggle word, an index out of the list', () => {
    const problems = [
      {
        write: { name: 'batterylevel', value: '10' },
        problem: 'readOnly',
        text: /Battery Level \(batterylevel\) cannot be set to "10". The camera only reports/,
      },
      { write: { name: 'fastfs', value: 'maybe' }, problem: 'invalidValue', text: /on or off/ },
      { write: { name: 'f-number', index: 99 }, problem: 'invalidValue', text: /index must be 0 to 17/ },
      { write: { name: 'fastfs', index: 1 }, problem: 'invalidValue', text: /no list of choices/ },
    ];
    for (const { write, problem, text } of problems) {
      assert.throws(
        () => planWrite(settings, write),
        (e: CameraError) =>
          e.kind === 'cameraSetting' && e.details.cameraSetting?.problem === problem && text.test(e.message),
        JSON.stringify(write),
      );
    }
    // TOGGLE words as gphoto2 knows them.
    assert.strictEqual(planWrite(settings, { name: 'fastfs', value: 'off' }).argument, '0');
    assert.strictEqual(planWrite(settings, { name: 'fastfs', value: true }).argument, '1');
  });

  it('checks a RANGE against its bounds', () => {
    const range: CameraSetting[] = [
      {
        name: 'autowhitebias',
        path: '/main/capturesettings/autowhitebias',
        label: 'Auto White Balance Bias',
        type: 'range',
        value: '612',
        min: 0,
        max: 1224,
        step: 1,
        readonly: false,
      },
    ];
    assert.throws(
      () => planWrite(range, { name: 'autowhitebias', value: 2000 }),
      (e: CameraError) => /a number from 0 to 1224 in steps of 1/.test(e.message),
    );
    assert.strictEqual(planWrite(range, { name: 'autowhitebias', value: '700' }).argument, '700');
  });

  it('puts the exposure lock between the camera selection and the capture', () => {
    const { locked } = lockedExposure(settings);
    const capture = gp.captureAndDownloadArgs(VC, '/tmp/stage', false);
    assert.deepStrictEqual(withExposureLock(capture, locked), [
      '--camera=Nikon DSC D750',
      '--port=usb:>/dev/null',
      '--set-config-value=shutterspeed=0.0100s',
      '--set-config-value=f-number=f/2.8',
      '--set-config-value=exposurecompensation=0',
      '--get-config=shutterspeed',
      '--get-config=f-number',
      '--get-config=exposurecompensation',
      '--capture-image-and-download',
      '--filename=/tmp/stage/%f.%C',
    ]);
  });
});

describe("camera settings: gphoto2's refusal texts (actions.c, libgphoto2 config.c, as the real binary printed them)", () => {
  it('splits stderr into its context errors', () => {
    assert.deepStrictEqual(contextMessages(fixture('vcamera-set-config-value-read-only').stderr), [
      "Sorry, the property 'Battery Level' / 0x5001 is currently read-only.",
      "Property 'batterylevel' not found.",
      'Failed to set new configuration value 10 for configuration entry batterylevel.',
    ]);
    assert.deepStrictEqual(contextMessages(fixture('vcamera-set-config-value-refused-alone').stderr), [
      "Property 'f-number' not found.",
      'Failed to set new configuration value banana for configuration entry f-number.',
    ]);
  });

  it('classifies every text the recorded runs printed', () => {
    const seen = [
      'vcamera-set-config-value-refused',
      'vcamera-set-config-value-read-only',
      'vcamera-set-config-read-only',
      'vcamera-set-config-index-bad',
      'vcamera-set-config-value-unknown-name',
      'vcamera-set-config-value-toggle-bad',
    ].flatMap((n) => setConfigMessages(fixture(n).stderr));
    assert.deepStrictEqual(
      seen.map(({ text: _t, ...m }) => m),
      [
        { kind: 'propertyNotFound', name: 'f-number' },
        { kind: 'failedSet', value: 'banana', name: 'f-number' },
        { kind: 'readOnlyProperty', label: 'Battery Level' },
        { kind: 'propertyNotFound', name: 'batterylevel' },
        { kind: 'failedSet', value: '10', name: 'batterylevel' },
        { kind: 'readOnlyWidget', name: 'batterylevel' },
        { kind: 'noSuchChoice', value: '99' },
        { kind: 'notInTree', name: 'no-such' },
        { kind: 'notAToggle', value: 'maybe' },
      ],
    );
  });

  it("classifies gphoto2's other texts from its sources (RANGE, index on a non-list, PTP refusal)", () => {
    const cases: Array<[string, string]> = [
      ['The passed value 150.000000 is not within the expected range 0.000000 - 100.000000.', 'outOfRange'],
      ['The passed value abc is not a floating point value.', 'notANumber'],
      ['The fastfs widget has no indexed list of choices. Use --set-config-value instead.', 'noIndex'],
      ["The property 'F-Number' / 0x5007 was not set (0x201c: PTP Invalid Device Prop Value)", 'notSet'],
      ["The property 'Aperture' / 0xd101 was not set (0x2019: PTP Device Busy).", 'notSet'],
      ["Parsing the value of widget 'Aperture' / 0xd101 failed with -1.", 'parseFailed'],
      ['The passed value soon is neither a valid time nor an integer.', 'notATime'],
      ['Failed to set the value of text widget artist to Me.', 'widgetSetFailed'],
      ['PTP Device Busy', 'other'],
    ];
    for (const [text, kind] of cases) assert.strictEqual(classifyMessage(text).kind, kind, text);
    const range = classifyMessage(cases[0][0]);
    assert.deepStrictEqual(range.kind === 'outOfRange' && [range.value, range.bottom, range.top], [150, 0, 100]);
    const notSet = classifyMessage(cases[3][0]);
    assert.strictEqual(notSet.kind === 'notSet' && notSet.label, 'F-Number');
  });
});

describe('camera settings: judging a write by its read-back (real runs)', () => {
  const settings = vcameraSettings();

  it('a write read back as asked is applied', () => {
    const plans = planWrites(settings, [{ name: 'f-number', value: 'f/8' }]);
    const j = judgeWrites(plans, fixture('vcamera-set-config-value-f-number-read-back'));
    assert.deepStrictEqual(j.failures, []);
    assert.deepStrictEqual(j.applied, [
      { name: 'f-number', path: '/main/capturesettings/f-number', value: 'f/8', requested: 'f/8', role: 'aperture' },
    ]);
  });

  it('a refused value (exit 0!) names the setting, the value and the allowed choices', () => {
    const f = fixture('vcamera-set-config-value-refused');
    assert.strictEqual(f.exitCode, 0, 'gphoto2 exits with the last action, the read-back');
    const plans = planWrites(settings, [{ name: 'f-number', value: 'banana' }]);
    const [e] = judgeWrites(plans, f).failures;
    assert.strictEqual(e.kind, 'cameraSetting');
    assert.strictEqual(e.details.cameraSetting?.problem, 'refused');
    assert.match(e.message, /refused F-Number \(f-number\) = "banana"/);
    assert.match(e.message, /Failed to set new configuration value banana for configuration entry f-number\./);
    assert.match(e.message, /Allowed: f\/2\.8, f\/3\.5, .*f\/22\./);
    assert.match(e.message, /It stays "f\/2\.8"/);
    assert.deepStrictEqual(e.details.cameraSetting?.choices?.length, 18);
  });

  it('a value the camera takes but cannot name (Current: (null)) is reported, with no gphoto2 error at all', () => {
    const plans = planWrites(settings, [{ name: 'f-number', value: 'f/7' }]);
    const f = fixture('vcamera-set-config-value-unlisted');
    assert.strictEqual(f.stderr, '');
    const [e] = judgeWrites(plans, f).failures;
    assert.match(e.message, /did not take F-Number \(f-number\) = "f\/7": it reads back \(no value/);
  });

  it("read-only: the camera's own text, kept as the reason", () => {
    // Plan as if the listing had said writable (a mode dial turned since the last read).
    const stale = settings.map((s) => (s.name === 'batterylevel' ? { ...s, readonly: false } : s));
    const plans = planWrites(stale, [{ name: 'batterylevel', value: '10' }]);
    const [e] = judgeWrites(plans, fixture('vcamera-set-config-value-read-only')).failures;
    assert.strictEqual(e.details.cameraSetting?.problem, 'readOnly');
    assert.match(
      e.message,
      /read-only right now \(gphoto2: "Sorry, the property 'Battery Level' \/ 0x5001 is currently read-only\./,
    );
    assert.match(e.message, /turn it to M/);
  });

  it('a value not in the list that changed nothing is refused, even when gphoto2 printed nothing (a write by path)', () => {
    const f = fixture('vcamera-set-config-value-by-path-silent');
    assert.deepStrictEqual([f.exitCode, f.stderr], [0, '']);
    const twice: CameraSetting[] = [
      ...settings,
      { name: 'f-number', path: '/main/other/f-number', label: 'Other', type: 'radio', value: '1', readonly: false },
    ];
    const plans = planWrites(twice, [{ name: '/main/capturesettings/f-number', value: 'banana' }]);
    assert.strictEqual(plans[0].cliName, '/main/capturesettings/f-number');
    const [e] = judgeWrites(plans, f).failures;
    assert.ok(e, 'refused');
    assert.match(e.message, /did not take F-Number \(f-number\) = "banana": it reads back "f\/2\.8"/);
    // A value the camera rounds (1/125 for 0.0080s) still counts when the value moved.
    const rounded = planWrites(settings, [{ name: 'shutterspeed', value: '1/200' }]);
    const j = judgeWrites(rounded, {
      stdout: 'Label: Shutter Speed\nReadonly: 0\nType: RADIO\nCurrent: 0.0050s\nEND\n',
      stderr: '',
    });
    assert.deepStrictEqual(
      j.applied.map((a) => a.value),
      ['0.0050s'],
    );
  });

  it('a read-back that differs from an exact choice is a mismatch', () => {
    const plans = planWrites(settings, [{ name: 'f-number', value: 'f/11' }]);
    const [e] = judgeWrites(plans, fixture('vcamera-set-config-value-f-number-read-back')).failures;
    assert.strictEqual(e.details.cameraSetting?.problem, 'mismatch');
    assert.strictEqual(e.details.cameraSetting?.readBack, 'f/8');
  });
});

describe('camera settings: the jobs over an injected runner', () => {
  it('reads everything in ONE gphoto2 run', async () => {
    const run = replay(fixture('vcamera-list-all-config'));
    const settings = await readCameraSettings(run, VC);
    assert.strictEqual(run.calls.length, 1);
    assert.deepStrictEqual(run.calls[0], ['--camera=Nikon DSC D750', '--port=usb:>/dev/null', '--list-all-config']);
    assert.ok(settings.length > 20);
  });

  it('writes and reads back in one run, given the settings from the last read', async () => {
    const run = replay(fixture('vcamera-set-several-read-back'));
    const r = await writeCameraSettings(
      run,
      VC,
      [
        { name: 'aperture', value: 'f/8' },
        { name: 'shutterspeed', value: '0.0050s' },
        { name: 'exposurecompensation', value: '-1' },
      ],
      vcameraSettings(),
    );
    assert.strictEqual(run.calls.length, 1);
    assert.deepStrictEqual(
      r.applied.map((a) => [a.name, a.value]),
      [
        ['f-number', 'f/8'],
        ['shutterspeed', '0.0050s'],
        ['exposurecompensation', '-1'],
      ],
    );
    assert.strictEqual(r.settings.find((s) => s.name === 'f-number')?.value, 'f/8');
  });

  it('reads the settings first when none are given (two runs)', async () => {
    const run = replay(fixture('vcamera-list-all-config'), fixture('vcamera-set-config-value-f-number-read-back'));
    const r = await writeCameraSettings(run, VC, { name: 'f-number', value: 'f/8' });
    assert.strictEqual(run.calls.length, 2);
    assert.deepStrictEqual(
      r.applied.map((a) => a.value),
      ['f/8'],
    );
  });

  it('rejects a refused value with the typed error, with a runner that returns every run', async () => {
    const run = replay(fixture('vcamera-set-config-value-refused'));
    const e = await rejection(writeCameraSettings(run, VC, { name: 'f-number', value: 'banana' }, vcameraSettings()));
    assert.strictEqual(e.details.cameraSetting?.problem, 'refused');
  });

  it("and with the queue's kind of runner, which throws on gphoto2's error text (exit 0 or 1)", async () => {
    for (const name of ['vcamera-set-config-value-refused', 'vcamera-set-config-value-refused-alone']) {
      const e = await rejection(
        writeCameraSettings(
          throwingReplay(fixture(name)),
          VC,
          { name: 'f-number', value: 'banana' },
          vcameraSettings(),
        ),
      );
      assert.strictEqual(e.kind, 'cameraSetting', `${name}: ${e.message}`);
      assert.strictEqual(e.details.cameraSetting?.problem, 'refused', name);
      assert.match(e.message, /Allowed: f\/2\.8/);
    }
  });

  it('a failure that is not about a setting stays what it is (no camera: -105)', async () => {
    const e = await rejection(
      writeCameraSettings(
        replay(fixture('summary-no-camera')),
        VC,
        { name: 'f-number', value: 'f/8' },
        vcameraSettings(),
      ),
    );
    assert.strictEqual(e.kind, 'notFound');
    const e2 = await rejection(readCameraSettings(replay(fixture('summary-no-camera')), VC));
    assert.strictEqual(e2.kind, 'notFound');
  });

  it('the exposure lock in the capture run: applied, or refused while the frame was still taken', () => {
    const settings = vcameraSettings();
    const locked = planWrites(settings, [{ name: 'f-number', value: 'f/8' }]);
    const good = checkExposureLock(locked, fixture('vcamera-exposure-lock-capture'));
    assert.deepStrictEqual(good, {
      ok: true,
      values: [{ name: 'f-number', path: '/main/capturesettings/f-number', locked: 'f/8', readBack: 'f/8', ok: true }],
    });
    const refusedRun = fixture('vcamera-exposure-lock-refused-capture');
    assert.deepStrictEqual(gp.parseSavedFiles(refusedRun.stdout), ['<TMP>/GPH_0099.JPG'], 'the frame was taken');
    const bad = checkExposureLock(planWrites(settings, [{ name: 'f-number', value: 'banana' }]), refusedRun);
    assert.strictEqual(bad.ok, false);
    assert.deepStrictEqual(bad.values[0].readBack, 'f/2.8');
    assert.strictEqual(bad.error?.details.cameraSetting?.problem, 'refused');
  });

  it("a refused lock value does not make the capture run look failed: withoutSettingMessages leaves gphoto2's other words", () => {
    const refused = fixture('vcamera-exposure-lock-refused-capture');
    const ctx = { job: 'Capture', command: 'gphoto2', timeoutMs: 1000 };
    assert.ok(gp.classifyOutcome(outcomeOf(refused), ctx), 'as is, the refusal reads as a failed capture');
    assert.strictEqual(
      gp.classifyOutcome({ ...outcomeOf(refused), stderr: withoutSettingMessages(refused.stderr) }, ctx),
      undefined,
    );
    // Other errors stay: the claim failure of a capture, with a refusal in front of it.
    const busy = fixture('claim-usb-device-busy');
    const both = withoutSettingMessages(`${refused.stderr}${busy.stderr}`);
    assert.strictEqual(gp.classifyOutcome({ ...outcomeOf(busy), stderr: both }, ctx)?.kind, 'busy');
    assert.doesNotMatch(both, /Failed to set new configuration value/);
    assert.strictEqual(withoutSettingMessages(busy.stderr), busy.stderr);
  });

  it('applyExposureLock corrects in a run of its own', async () => {
    const settings = vcameraSettings();
    const locked = planWrites(settings, [{ name: 'f-number', value: 'f/8' }]);
    const run = replay(fixture('vcamera-set-config-value-f-number-read-back'));
    const check = await applyExposureLock(run, VC, locked);
    assert.strictEqual(check.ok, true);
    assert.deepStrictEqual(run.calls[0].slice(2), ['--set-config-value=f-number=f/8', '--get-config=f-number']);
  });
});
