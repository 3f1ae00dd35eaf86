// The pure settings validator (src/config/settings.ts) against what package.json declares: every
// contributed setting is read, rejects wrong types and values with a SettingError naming it, and has
// the same default in the code as in package.json. The list of settings is read from package.json,
// so a new setting without cases here fails the first test.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  parseSettings,
  SettingError,
  type RawSettings,
  type SettingsContext,
  type TetherSettings,
} from '../../src/config/settings';
import { DEFAULT_LINUX_NAMES, DEFAULT_MACOS_NAMES } from '../../src/camera/processReaper';
import { PROJECT_ROOT } from '../support/simulatorHarness';

interface PropertySchema {
  type: 'string' | 'number' | 'integer' | 'boolean' | 'array';
  default: unknown;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  items?: { type: string };
}

const SECTION = 'cameraTether';

function contributedSettings(): Map<string, PropertySchema> {
  const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, PropertySchema> } };
  };
  const out = new Map<string, PropertySchema>();
  for (const [id, schema] of Object.entries(pkg.contributes.configuration.properties)) {
    assert.ok(id.startsWith(`${SECTION}.`), `${id} is in the ${SECTION} section`);
    out.set(id.slice(SECTION.length + 1), schema);
  }
  return out;
}

const SETTINGS = contributedSettings();
const WORKSPACE = path.join(os.tmpdir(), 'ct-settings-ws');
const HOME = path.join(os.tmpdir(), 'ct-settings-home');
const CTX: SettingsContext = { workspaceFolder: WORKSPACE, homeDir: HOME, platform: 'linux' };

/** A raw reader returning `values[key]` and undefined (unset) for everything else. */
function raw(values: Record<string, unknown>): RawSettings {
  return (key) => values[key];
}

function parse(values: Record<string, unknown>, ctx: SettingsContext = CTX): TetherSettings {
  return parseSettings(raw(values), ctx);
}

function rejects(key: string, value: unknown, ctx: SettingsContext = CTX): SettingError {
  let caught: unknown;
  try {
    parse({ [key]: value }, ctx);
  } catch (err) {
    caught = err;
  }
  assert.ok(
    caught instanceof SettingError,
    `${key} = ${JSON.stringify(value)} is rejected with a SettingError (got ${caught === undefined ? 'no error' : String(caught)})`,
  );
  assert.strictEqual(caught.setting, `${SECTION}.${key}`, `the error names the setting: ${caught.message}`);
  assert.ok(
    caught.message.includes(`${SECTION}.${key}`) || key === 'filenamePattern',
    `the message names ${SECTION}.${key}: ${caught.message}`,
  );
  return caught;
}

/**
 * Values that must be refused, per setting, beyond the generic wrong types. Every contributed
 * setting must have an entry (an empty list is a deliberate "nothing beyond the type").
 */
const INVALID_VALUES: Record<string, unknown[]> = {
  source: ['Gphoto2', 'camera', ''],
  gphoto2Path: [
    '',
    '   ',
    'gphoto2\n--version',
    'gph\0oto2',
    '${env:HOME}/gphoto2',
    'bin/gphoto2',
    './bin/gphoto2',
    '../gphoto2',
    '${workspaceFolder}/bin/gphoto2',
    '.',
    'C:gphoto2',
  ],
  camera: ['Nikon\nD750', 'Nikon\0'],
  port: ['001,004', 'usb 001,004', '/dev/bus/usb/001/004', 'usb:001\n,004', 'usb:001\0'],
  outputFolder: ['', '   ', 'a\nb', '${workspaceFolderBasename}/x', '${env:HOME}/scans'],
  filenamePattern: [
    '',
    'frame',
    '{frame}{frame}',
    '{frame:04',
    'frame-{frame}-{nope}',
    '../{frame}',
    'a/{frame}',
    '{frame}.',
    '.{frame}',
    'con',
    'x\u0007{frame}',
  ],
  keepOnCamera: [],
  commandTimeoutSeconds: [0, -1, Number.NaN, Number.POSITIVE_INFINITY],
  previewTimeoutSeconds: [0, Number.NaN],
  captureTimeoutSeconds: [0, Number.NaN],
  killGraceMs: [Number.NaN],
  lingerMs: [-1, Number.NaN],
  connection: ['shell', 'Session', 'per-command', ''],
  sessionIdleSeconds: [0, 3601, Number.NaN],
  'cleanup.mode': ['always', 'WhenNeeded'],
  'cleanup.processNames': [[''], ['  '], ['/usr/bin/gphoto2'], ['gvfs gphoto2'], ['gphoto2', 7], [null], ['a\\b']],
  'cleanup.settleMs': [-1, Number.NaN],
  'cleanup.timeoutMs': [0, Number.NaN],
  'liveView.maxFps': [-1, Number.NaN, 121],
  'panel.showCaptures': [],
  'panel.reviewSeconds': [-0.001, 60.5, Number.NaN],
};

/** A value of another JSON type than the schema's. */
function wrongTypes(schema: PropertySchema): unknown[] {
  const all: Record<string, unknown> = {
    string: 'text',
    number: 12,
    boolean: true,
    array: ['gphoto2'],
    object: { a: 1 },
  };
  const own = schema.type === 'integer' ? 'number' : schema.type;
  return Object.entries(all)
    .filter(([t]) => t !== own)
    .map(([, v]) => v);
}

/** The setting's value as parseSettings returns it, for comparing with package.json's default. */
function parsedValue(s: TetherSettings, key: string): unknown {
  switch (key) {
    case 'source':
      return s.source;
    case 'gphoto2Path':
      return s.gphoto2Path;
    case 'camera':
      return s.camera ?? '';
    case 'port':
      return s.port ?? '';
    case 'outputFolder':
      return s.outputFolder;
    case 'filenamePattern':
      return s.filenamePattern.source;
    case 'keepOnCamera':
      return s.keepOnCamera;
    case 'commandTimeoutSeconds':
      return s.commandTimeoutMs / 1000;
    case 'previewTimeoutSeconds':
      return s.previewTimeoutMs / 1000;
    case 'captureTimeoutSeconds':
      return s.captureTimeoutMs / 1000;
    case 'killGraceMs':
      return s.killGraceMs;
    case 'lingerMs':
      return s.lingerMs;
    case 'connection':
      return s.connection;
    case 'sessionIdleSeconds':
      return s.sessionIdleMs / 1000;
    case 'cleanup.mode':
      return s.cleanupMode;
    case 'cleanup.processNames':
      return s.cleanupProcessNames;
    case 'cleanup.settleMs':
      return s.cleanupSettleMs;
    case 'cleanup.timeoutMs':
      return s.cleanupTimeoutMs;
    case 'liveView.maxFps':
      return s.liveViewMaxFps;
    case 'panel.showCaptures':
      return s.panel.showCaptures;
    case 'panel.reviewSeconds':
      return s.panel.reviewMs / 1000;
    default:
      throw new Error(
        `settings.test.ts does not know how to read "${key}" from TetherSettings: add it to parsedValue()`,
      );
  }
}

describe('settings (src/config/settings.ts) against package.json', () => {
  it('every contributed setting has test cases here, and nothing here is stale', () => {
    assert.ok(SETTINGS.size >= 16, `package.json contributes ${SETTINGS.size} settings`);
    assert.deepStrictEqual(Object.keys(INVALID_VALUES).sort(), [...SETTINGS.keys()].sort());
    for (const key of SETTINGS.keys()) parsedValue(parse({}), key);
  });

  it('parseSettings reads every contributed setting (none is declared but ignored)', () => {
    const asked = new Set<string>();
    parseSettings((key) => {
      asked.add(key);
      return undefined;
    }, CTX);
    assert.deepStrictEqual(
      [...SETTINGS.keys()].filter((k) => !asked.has(k)),
      [],
      'settings never read',
    );
    assert.deepStrictEqual(
      [...asked].filter((k) => !SETTINGS.has(k)),
      [],
      'settings read but not contributed in package.json',
    );
  });

  it("the defaults in the code equal package.json's defaults", () => {
    const fallback = parse({});
    const explicit = parseSettings((key) => SETTINGS.get(key)?.default, CTX);
    for (const [key, schema] of SETTINGS) {
      assert.deepStrictEqual(
        parsedValue(explicit, key),
        parsedValue(fallback, key),
        `${key}: package.json's default gives what an unset value gives`,
      );
      if (key === 'outputFolder') {
        assert.strictEqual(fallback.outputFolder, path.join(WORKSPACE, 'captures'));
      } else if (key === 'cleanup.processNames') {
        assert.deepStrictEqual(schema.default, []);
        assert.deepStrictEqual(fallback.cleanupProcessNames, DEFAULT_LINUX_NAMES, 'empty means the OS defaults');
      } else {
        assert.deepStrictEqual(
          parsedValue(fallback, key),
          schema.default,
          `${key}: the code's fallback is package.json's default`,
        );
      }
    }
  });

  it('null (a setting removed in settings.json) falls back to the default like undefined', () => {
    const nulls = parseSettings(() => null, CTX);
    const unset = parse({});
    for (const key of SETTINGS.keys()) assert.deepStrictEqual(parsedValue(nulls, key), parsedValue(unset, key), key);
  });

  describe('every setting rejects a wrong type with a SettingError naming it', () => {
    for (const [key, schema] of SETTINGS) {
      it(`${SECTION}.${key} (${schema.type})`, () => {
        for (const value of wrongTypes(schema)) rejects(key, value);
      });
    }
  });

  describe('every setting rejects wrong values with a SettingError naming it', () => {
    for (const [key, schema] of SETTINGS) {
      it(`${SECTION}.${key}`, () => {
        for (const value of INVALID_VALUES[key] ?? []) rejects(key, value);
        if (schema.enum) {
          for (const value of schema.enum)
            assert.strictEqual(parsedValue(parse({ [key]: value }), key), value, `${key} accepts "${value}"`);
        }
        if (schema.type === 'number' || schema.type === 'integer') {
          assert.ok(
            schema.minimum !== undefined && schema.maximum !== undefined,
            `${key} declares its range in package.json`,
          );
          const [min, max] = [schema.minimum, schema.maximum];
          const step = schema.type === 'integer' ? 1 : 0.001;
          rejects(key, min - step);
          rejects(key, max + step);
          rejects(key, max * 10);
          assert.doesNotThrow(() => parse({ [key]: min }), `${key} accepts its minimum ${min}`);
          assert.doesNotThrow(() => parse({ [key]: max }), `${key} accepts its maximum ${max}`);
          if (schema.type === 'integer') rejects(key, min + 0.5);
          else
            assert.strictEqual(
              parsedValue(parse({ [key]: min + 0.5 }), key),
              min + 0.5,
              `${key} takes fractions of a second`,
            );
        }
      });
    }
  });

  it('the error message tells what a right value looks like', () => {
    assert.match(rejects('commandTimeoutSeconds', 0).message, /from 1 to 600/);
    assert.match(rejects('killGraceMs', 1.5).message, /whole number from 50 to 60000/);
    assert.match(rejects('source', 'camera').message, /"gphoto2", "simulator"/);
    assert.match(rejects('port', '001,004').message, /usb:001,004/);
    assert.match(rejects('keepOnCamera', 'yes').message, /true or false/);
    assert.match(rejects('filenamePattern', 'frame').message, /\{frame\}/);
  });

  describe('paths', () => {
    const outputOf = (value: string, ctx: SettingsContext = CTX) => parse({ outputFolder: value }, ctx).outputFolder;

    it('~ and ~/ expand to the home folder', () => {
      assert.strictEqual(outputOf('~'), HOME);
      assert.strictEqual(outputOf('~/Pictures/scans'), path.join(HOME, 'Pictures', 'scans'));
      assert.strictEqual(parse({ gphoto2Path: '~/bin/gphoto2' }).gphoto2Path, path.join(HOME, 'bin', 'gphoto2'));
    });

    it('~ only at the start and only as a whole component', () => {
      assert.strictEqual(
        outputOf('~scans'),
        path.join(WORKSPACE, '~scans'),
        '"~scans" is a relative folder, not a user\'s home',
      );
      assert.strictEqual(outputOf('/data/~/x'), path.normalize('/data/~/x'));
    });

    it('${workspaceFolder} and ${userHome} expand, also more than once', () => {
      assert.strictEqual(outputOf('${workspaceFolder}/captures'), path.join(WORKSPACE, 'captures'));
      assert.strictEqual(outputOf('${userHome}/scans'), path.join(HOME, 'scans'));
      assert.strictEqual(outputOf('${workspaceFolder}/${userHome}'), path.normalize(`${WORKSPACE}/${HOME}`));
      assert.strictEqual(
        parse({ gphoto2Path: '${userHome}/bin/gphoto2' }).gphoto2Path,
        path.join(HOME, 'bin', 'gphoto2'),
      );
    });

    it('a relative output folder is taken from the workspace folder and normalised', () => {
      assert.strictEqual(outputOf('captures'), path.join(WORKSPACE, 'captures'));
      assert.strictEqual(outputOf('./a/../b/'), path.join(WORKSPACE, 'b') + path.sep);
      assert.ok(path.isAbsolute(outputOf('x')));
    });

    it('a relative output folder without an open folder is refused, naming the setting', () => {
      const e = rejects('outputFolder', 'captures', { homeDir: HOME, platform: 'linux' });
      assert.match(e.message, /relative path/);
    });

    it('${workspaceFolder} without an open folder is refused (also in the default)', () => {
      const noFolder: SettingsContext = { homeDir: HOME, platform: 'linux' };
      assert.match(rejects('outputFolder', '${workspaceFolder}/captures', noFolder).message, /no folder is open/);
      assert.throws(
        () => parse({}, noFolder),
        (e: unknown) => e instanceof SettingError && e.setting === `${SECTION}.outputFolder`,
      );
      assert.strictEqual(
        outputOf('~/scans', noFolder),
        path.join(HOME, 'scans'),
        'an absolute folder needs no workspace',
      );
    });

    it('an unknown ${var} is refused and named', () => {
      const e = rejects('outputFolder', '${workspaceRoot}/captures');
      assert.match(e.message, /\$\{workspaceRoot\}/);
      assert.match(rejects('gphoto2Path', '${env:GPHOTO2}').message, /\$\{env:GPHOTO2\}/);
    });

    it('gphoto2Path: a bare program name stays a name (looked up on PATH), an absolute path is normalised', () => {
      assert.strictEqual(parse({ gphoto2Path: 'gphoto2' }).gphoto2Path, 'gphoto2');
      assert.strictEqual(parse({ gphoto2Path: 'gphoto2-2.5' }).gphoto2Path, 'gphoto2-2.5');
      assert.strictEqual(parse({ gphoto2Path: '/usr/local/bin/gphoto2' }).gphoto2Path, '/usr/local/bin/gphoto2');
      assert.strictEqual(
        parse({ gphoto2Path: '/opt/gp/../bin/gphoto2' }).gphoto2Path,
        path.normalize('/opt/bin/gphoto2'),
      );
      assert.strictEqual(
        parse({ gphoto2Path: '~/bin/gphoto2', outputFolder: '~/scans' }, { homeDir: HOME, platform: 'linux' })
          .gphoto2Path,
        path.join(HOME, 'bin', 'gphoto2'),
        'no open folder needed',
      );
    });

    it('gphoto2Path: never a program from the open folder (a relative path or ${workspaceFolder} is refused, naming the setting and the fix)', () => {
      // A cloned repository could ship its own "gphoto2"; Camera Tether would run it with the user's rights.
      for (const value of [
        'bin/gphoto2',
        './bin/gphoto2',
        './gphoto2',
        '../tools/gphoto2',
        'bin\\gphoto2',
        '.',
        '..',
        '~bin/gphoto2',
        'C:gphoto2',
        '${workspaceFolder}/bin/gphoto2',
        '${workspaceFolder}',
        '${userHome}/../${workspaceFolder}/gphoto2',
      ]) {
        for (const ctx of [CTX, { homeDir: HOME, platform: 'linux' as const }]) {
          const e = rejects('gphoto2Path', value, ctx);
          assert.match(e.message, /open folder/, `${value}: says why`);
          assert.match(e.message, /"gphoto2" \(looked up on PATH\)/, `${value}: says what to set instead`);
          assert.match(e.message, /absolute path/, `${value}: says what to set instead`);
        }
      }
    });

    it('the home folder comes from the OS when the context gives none', () => {
      assert.strictEqual(
        parse({ outputFolder: '~/x' }, { workspaceFolder: WORKSPACE }).outputFolder,
        path.join(os.homedir(), 'x'),
      );
    });
  });

  describe('other values', () => {
    it('camera and port: trimmed, empty means "first camera found"', () => {
      const s = parse({ camera: '  Nikon DSC D750 ', port: ' usb:001,004 ' });
      assert.strictEqual(s.camera, 'Nikon DSC D750');
      assert.strictEqual(s.port, 'usb:001,004');
      const empty = parse({ camera: '   ', port: '' });
      assert.strictEqual(empty.camera, undefined);
      assert.strictEqual(empty.port, undefined);
    });

    it('camera names go to gphoto2 verbatim: quotes, $ and ; are fine (argv, never a shell)', () => {
      assert.strictEqual(parse({ camera: 'Nikon "D750"; $(rm -rf ~)' }).camera, 'Nikon "D750"; $(rm -rf ~)');
      assert.strictEqual(parse({ port: 'ptpip:192.168.1.10' }).port, 'ptpip:192.168.1.10');
    });

    it('cleanup.processNames: a list replaces the OS defaults; empty gives them per platform', () => {
      assert.deepStrictEqual(parse({ 'cleanup.processNames': ['gphoto2', 'my-daemon'] }).cleanupProcessNames, [
        'gphoto2',
        'my-daemon',
      ]);
      assert.deepStrictEqual(
        parse({ 'cleanup.processNames': [] }, { ...CTX, platform: 'darwin' }).cleanupProcessNames,
        DEFAULT_MACOS_NAMES,
      );
      assert.deepStrictEqual(parse({}, { ...CTX, platform: 'linux' }).cleanupProcessNames, DEFAULT_LINUX_NAMES);
    });

    it('seconds become milliseconds, rounded', () => {
      const s = parse({ commandTimeoutSeconds: 1.2345, previewTimeoutSeconds: 600, captureTimeoutSeconds: 3600 });
      assert.deepStrictEqual([s.commandTimeoutMs, s.previewTimeoutMs, s.captureTimeoutMs], [1235, 600_000, 3_600_000]);
    });

    it("the filename pattern error keeps the pattern's own explanation", () => {
      const e = rejects('filenamePattern', '{frame}{nope}');
      assert.match(e.message, /unknown token \{nope\}/);
    });
  });

  describe('workspace trust (package.json capabilities)', () => {
    /**
     * What a hostile repository's .vscode/settings.json could do with each setting. In Restricted
     * Mode VS Code ignores the workspace's values of the restricted ones (only user settings apply).
     */
    const RESTRICTED: Record<string, string> = {
      source:
        'switch the simulator for a real camera, whose downloads delete the images from its card (or the other way round: simulated images taken for real ones)',
      gphoto2Path:
        'choose the program that is run (machine-scoped, so no workspace can set it; listed in case that ever changes)',
      camera: 'choose the libgphoto2 driver that talks to the device',
      port: 'choose the device or network host gphoto2 opens (ptpip:<their host> feeds libgphoto2 and our parsers whatever they like; disk:<folder> reads a folder)',
      outputFolder: 'choose where files are written and folders created, anywhere the user can write',
      filenamePattern:
        "rename the user's captures (the names are checked to stay inside the output folder and never overwrite, so this matters least)",
      keepOnCamera: 'turn off the user\'s "keep on camera", so originals are deleted from the card',
      'cleanup.processNames': 'choose which processes cleanup stops (machine-scoped too)',
    };
    /** Settings left to the workspace, and why that is harmless. */
    const NOT_RESTRICTED: Record<string, string> = {
      commandTimeoutSeconds: 'a time limit: a bad value only makes jobs fail or wait',
      previewTimeoutSeconds: 'a time limit',
      captureTimeoutSeconds: 'a time limit',
      killGraceMs: 'a grace period before SIGKILL',
      lingerMs: 'how long gphoto2 may linger; announced files are waited for regardless',
      connection: 'one gphoto2 session or one process per command: the same program, camera and guarantees either way',
      sessionIdleSeconds: 'how long an idle session keeps the camera',
      'cleanup.mode': 'when cleanup runs; what it may stop is cleanup.processNames and the device holders',
      'cleanup.settleMs': 'a pause',
      'cleanup.timeoutMs': 'a time limit',
      'liveView.maxFps': 'a frame rate cap',
      'panel.showCaptures': 'whether the panel shows a capture large',
      'panel.reviewSeconds': 'how long the panel shows a capture',
    };

    interface Capabilities {
      untrustedWorkspaces?: { supported?: unknown; description?: unknown; restrictedConfigurations?: unknown };
      virtualWorkspaces?: unknown;
    }
    const capabilities = (): Capabilities =>
      (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { capabilities?: Capabilities })
        .capabilities ?? {};

    it('an untrusted workspace cannot set what a hostile repository could abuse (untrustedWorkspaces: limited, restrictedConfigurations)', () => {
      const untrusted = capabilities().untrustedWorkspaces;
      assert.ok(untrusted, 'package.json declares capabilities.untrustedWorkspaces');
      assert.strictEqual(untrusted.supported, 'limited');
      assert.ok(
        typeof untrusted.description === 'string' && /Restricted Mode/.test(untrusted.description),
        'the description tells the user what Restricted Mode changes',
      );
      assert.ok(Array.isArray(untrusted.restrictedConfigurations), 'restrictedConfigurations is a list');
      assert.deepStrictEqual(
        [...(untrusted.restrictedConfigurations as unknown[])].sort(),
        Object.keys(RESTRICTED)
          .map((k) => `${SECTION}.${k}`)
          .sort(),
      );
    });

    it('every setting is either restricted or judged harmless here (a new setting needs a decision)', () => {
      for (const key of SETTINGS.keys()) {
        assert.ok(
          key in RESTRICTED !== key in NOT_RESTRICTED,
          `${SECTION}.${key}: decide whether an untrusted workspace may set it (RESTRICTED or NOT_RESTRICTED in this test, and package.json)`,
        );
      }
      assert.deepStrictEqual(
        [...Object.keys(RESTRICTED), ...Object.keys(NOT_RESTRICTED)].filter((k) => !SETTINGS.has(k)),
        [],
        'no stale names',
      );
    });

    it('virtual workspaces are not supported (Camera Tether needs local files and local processes)', () => {
      assert.strictEqual(capabilities().virtualWorkspaces, false);
    });
  });
});
