import * as assert from 'assert';
import * as vscode from 'vscode';
import { run, simulatorConfig } from '../cameraCommands';

interface ScriptSetting {
  name: string;
  path: string;
  label: string;
  type: string;
  value: string;
  choices?: string[];
  readonly: boolean;
  role?: string;
}

const getSettings = () => run<{ settings: ScriptSetting[] }>('getCameraSettings');

describe('Camera settings commands (simulated camera)', function () {
  this.timeout(120_000);
  let before_: ScriptSetting[] = [];

  before(async () => {
    simulatorConfig({});
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
    before_ = (await getSettings()).settings;
  });
  after(async () => {
    // The simulator keeps values across processes: leave what the next suite expects.
    const restore = before_
      .filter((s) => ['f-number', 'iso'].includes(s.name))
      .map((s) => ({ name: s.path, value: s.value }));
    if (restore.length > 0) await run('setCameraSetting', restore);
  });

  it('getCameraSettings returns the contract: name, path, label, type, value, readonly, roles', () => {
    const f = before_.find((s) => s.name === 'f-number');
    assert.ok(f, before_.map((s) => s.name).join());
    assert.strictEqual(f.path, '/main/capturesettings/f-number');
    assert.strictEqual(f.role, 'aperture');
    assert.strictEqual(f.readonly, false);
    assert.ok(f.choices?.includes('f/8'));
    const battery = before_.find((s) => s.role === 'battery');
    assert.strictEqual(battery?.readonly, true);
    for (const s of before_) assert.deepStrictEqual(Object.keys(s).includes('disabledReason'), false, s.name);
  });

  it('setCameraSetting by role and by name in one call returns the values read back', async () => {
    const r = await run<{ applied: Array<{ name: string; value: string }> }>('setCameraSetting', [
      { name: 'aperture', value: 'f/11' },
      { name: 'iso', value: '800' },
    ]);
    assert.deepStrictEqual(r.applied, [
      { name: 'f-number', value: 'f/11' },
      { name: 'iso', value: '800' },
    ]);
    const now = (await getSettings()).settings;
    assert.strictEqual(now.find((s) => s.name === 'f-number')?.value, 'f/11');
    const one = await run<{ applied: Array<{ name: string; value: string }> }>('setCameraSetting', {
      name: 'f-number',
      value: 'f/8',
    });
    assert.deepStrictEqual(one.applied, [{ name: 'f-number', value: 'f/8' }]);
  });

  it('rejects an unknown name and a refused value with the typed error (setting, value, allowed values)', async () => {
    await assert.rejects(run('setCameraSetting', { name: 'no-such-setting', value: '1' }), (e: Error) =>
      /no-such-setting/.test(e.message),
    );
    await assert.rejects(
      run('setCameraSetting', { name: 'f-number', value: 'f/7' }),
      (
        e: Error & { kind?: string; details?: { cameraSetting?: { name: string; value: string; choices?: string[] } } },
      ) =>
        e.kind === 'cameraSetting' &&
        e.details?.cameraSetting?.name === 'f-number' &&
        e.details.cameraSetting.value === 'f/7' &&
        (e.details.cameraSetting.choices ?? []).includes('f/8') &&
        /Allowed: .*f\/8/.test(e.message),
    );
    await assert.rejects(run('setCameraSetting', { value: 'f/8' }), (e: Error) => /"name"/.test(e.message));
  });
});
