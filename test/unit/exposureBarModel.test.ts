// The panel's exposure bar model (src/ui/exposureBarModel.ts): which controls a camera's settings
// become, why one is disabled, and values as a photographer reads them. The settings come from the
// simulator's real listing (the D780-like tree), parsed by the production parser.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseConfigListing, settingsFromWidgets, type CameraSetting } from '../../src/camera/config';
import { panelExposure, valueText } from '../../src/ui/exposureBarModel';

const SIMULATOR = path.resolve(__dirname, '..', '..', '..', 'dist', 'simulator.js');

function listing(extraArgs: string[] = []): CameraSetting[] {
  const home = mkdtempSync(path.join(os.tmpdir(), 'ct-exposure-bar-'));
  const run = (args: string[]): string =>
    execFileSync(process.execPath, [SIMULATOR, ...args], {
      encoding: 'utf8',
      env: { ...process.env, CAMERA_TETHER_SIM_HOME: home },
    });
  try {
    if (extraArgs.length > 0) run(extraArgs);
    return settingsFromWidgets(parseConfigListing(run(['--list-all-config'])));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

describe('exposure bar model', () => {
  it('one control per role the camera has, in the bar order; battery and shots left are information only', () => {
    const bar = panelExposure(listing(), undefined);
    assert.strictEqual(bar.loaded, true);
    assert.deepStrictEqual(
      bar.controls.map((c) => [c.role, c.kind]),
      [
        ['iso', 'choice'],
        ['shutter', 'choice'],
        ['aperture', 'choice'],
        ['exposureCompensation', 'choice'],
        ['whiteBalance', 'choice'],
        ['imageFormat', 'choice'],
        ['focusMode', 'choice'],
        ['driveMode', 'choice'],
        ['battery', 'info'],
        ['freeSpace', 'info'],
      ],
    );
    const aperture = bar.controls.find((c) => c.role === 'aperture');
    assert.strictEqual(aperture?.path, '/main/capturesettings/f-number');
    assert.strictEqual(aperture.cameraName, 'F-Number (f-number)');
    assert.strictEqual(aperture.disabled, undefined);
    assert.deepStrictEqual(aperture.choiceTexts, aperture.choices);
    for (const c of bar.controls.filter((x) => x.kind === 'info')) assert.strictEqual(c.disabled, undefined, c.role);
  });

  it('not read yet: no controls, loaded false', () => {
    assert.deepStrictEqual(panelExposure(undefined, undefined), { loaded: false, controls: [] });
  });

  it('the mode dial in A: the shutter speed is disabled with the reason the camera model gives', () => {
    const bar = panelExposure(listing(['--set-config-value=expprogram=A']), undefined);
    const shutter = bar.controls.find((c) => c.role === 'shutter');
    assert.ok(shutter?.disabled, JSON.stringify(shutter));
    assert.strictEqual(bar.controls.find((c) => c.role === 'aperture')?.disabled, undefined);
  });

  it('a locked roll disables exactly its locked controls, and the lock line names the values with units', () => {
    const settings = listing();
    const at = (role: string) => settings.find((s) => s.role === role) as CameraSetting;
    const values = ['iso', 'shutter', 'aperture', 'exposureCompensation'].map((role) => ({
      path: at(role).path,
      name: at(role).name,
      label: at(role).label,
      role,
      value: at(role).value,
    }));
    const bar = panelExposure(settings, { roll: 'r', lockedAt: new Date(0).toISOString(), values });
    assert.deepStrictEqual(
      bar.controls.filter((c) => c.disabled).map((c) => c.role),
      ['iso', 'shutter', 'aperture', 'exposureCompensation'],
    );
    assert.match(bar.controls[0].disabled ?? '', /Locked for this roll/);
    assert.strictEqual(bar.lock?.summary, 'ISO 100 · 1/60 · f/5.6 · ±0 EV');
    assert.strictEqual(bar.lock.problem, undefined);
    const failed = panelExposure(settings, {
      roll: 'r',
      lockedAt: new Date(0).toISOString(),
      values,
      lastCheck: {
        ok: false,
        job: 'capture',
        at: new Date(0).toISOString(),
        mismatches: [{ name: 'shutterspeed', locked: '0.0166s', readBack: '0.0333s' }],
      },
    });
    assert.match(failed.lock?.problem ?? '', /shutterspeed 0\.0166s \(camera: 0\.0333s\).*mode dial/);
  });

  it('Nikon shutter speeds in 1/10000 s read as the dial speed when only one dial speed prints that way', () => {
    const cases: Array<[string, string]> = [
      ['0.0166s', '1/60'],
      ['0.0080s', '1/125'],
      ['0.0010s', '1/1000'],
      ['0.0012s', '1/800'],
      ['0.0015s', '1/640'],
      ['0.7692s', '1/1.3'],
      ['1.0000s', '1″'],
      ['1.3000s', '1.3″'],
      ['30.0000s', '30″'],
      // 1/4000, 1/5000 and 1/6400 all print as 0.0002s: shown as the camera says it.
      ['0.0002s', '0.0002s'],
      ['0.0003s', '0.0003s'],
      // Other vendors already speak the photographer's language.
      ['1/60', '1/60'],
      ['bulb', 'bulb'],
      ['', ''],
    ];
    for (const [value, text] of cases) assert.strictEqual(valueText('shutter', value), text, value);
    assert.strictEqual(valueText('aperture', '0.0166s'), '0.0166s');
    assert.deepStrictEqual(
      ['0', '0.333', '-1.667', '+2', 'x'].map((v) => valueText('exposureCompensation', v)),
      ['±0', '+0.3', '−1.7', '+2', 'x'],
    );
  });
});
