import * as assert from 'assert';
import * as vscode from 'vscode';
import { run, simulatorConfig, until } from '../cameraCommands';
import { takeScreenshot } from '../screenshot';
import { queryServiceAvailable, queryWorkbench, waitForWorkbench, type FoundElement } from '../workbenchQuery';

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

interface LockState {
  roll: string;
  exposureLock?: {
    roll: string;
    values: Array<{ name: string; path: string; value: string; role?: string }>;
    lastCheck?: { ok: boolean; job: string };
  };
}

describe('Lock Exposure for This Roll (simulated camera)', function () {
  this.timeout(120_000);

  before(async () => {
    simulatorConfig({});
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
    await run('newRoll', 'locked-roll');
  });
  after(async () => {
    await run('unlockExposure');
    await run('setCameraSetting', [
      { name: 'f-number', value: 'f/5.6' },
      { name: 'iso', value: '100' },
    ]);
  });

  it('lockExposure stores the values with the roll, getState shows them, every capture checks them; unlockExposure ends it', async () => {
    await run('setCameraSetting', [
      { name: 'aperture', value: 'f/8' },
      { name: 'iso', value: '400' },
    ]);
    const locked = await run<{ roll: string; lock: LockState['exposureLock'] }>('lockExposure');
    assert.strictEqual(locked.roll, 'locked-roll');
    const state = await run<LockState>('getState');
    assert.deepStrictEqual(state.exposureLock?.values, locked.lock?.values);
    assert.strictEqual(state.exposureLock?.values.find((v) => v.role === 'aperture')?.value, 'f/8');
    // A hand turns the aperture: the capture's own run sets it back and reads it back.
    await run('setCameraSetting', { name: 'f-number', value: 'f/16' });
    await run('capture');
    const after = await run<LockState>('getState');
    assert.deepStrictEqual([after.exposureLock?.lastCheck?.ok, after.exposureLock?.lastCheck?.job], [true, 'capture']);
    const now = (await getSettings()).settings;
    assert.strictEqual(now.find((s) => s.name === 'f-number')?.value, 'f/8');
    assert.deepStrictEqual(await run('unlockExposure'), { roll: 'locked-roll', wasLocked: true });
    assert.strictEqual((await run<LockState>('getState')).exposureLock, undefined);
  });
});

describe('The exposure bar in the Camera panel (observed in the browser)', function () {
  this.timeout(120_000);

  const control = async (role: string): Promise<FoundElement | undefined> =>
    (await queryWorkbench({ selector: `#exposure-controls [data-role="${role}"] select`, scope: 'webviews' }))[0];

  before(async function () {
    if (!queryServiceAvailable()) {
      console.log('    (skipped: reading the page needs the code-server runner, `npm run test:extension`)');
      this.skip();
    }
    simulatorConfig({});
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
    await run('newRoll', 'exposure-bar-roll');
    await run('openPanel');
  });
  after(async () => {
    await run('unlockExposure');
    await run('setCameraSetting', { name: 'f-number', value: 'f/5.6' });
  });

  it("shows the camera's controls; choosing an aperture in the bar sets it on the camera", async () => {
    await run('getCameraSettings');
    const aperture = await waitForWorkbench(
      'the aperture control in the exposure bar',
      { selector: '#exposure-controls [data-role="aperture"] select', scope: 'webviews' },
      (found) => found.find((e) => e.visible),
    );
    assert.strictEqual(aperture.value, 'f/5.6');
    await queryWorkbench({
      selector: '#exposure-controls [data-role="aperture"] select',
      scope: 'webviews',
      choose: 'f/11',
    });
    await until('the camera to read back f/11', async () => {
      const s = (await getSettings()).settings.find((x) => x.name === 'f-number');
      return s?.value === 'f/11' ? s : undefined;
    });
    await until('the bar to show f/11', async () => ((await control('aperture'))?.value === 'f/11' ? true : undefined));
  });

  it('a locked roll disables the locked controls with the reason and shows the values; unlocking enables them', async () => {
    await queryWorkbench({ selector: '#btn-exposure-lock', scope: 'webviews', click: true });
    const line = await waitForWorkbench('the lock line', { selector: '#exposure-lock', scope: 'webviews' }, (found) =>
      found[0]?.visible ? found[0] : undefined,
    );
    assert.match(line.text, /Locked for this roll: .*f\/11/);
    const locked = await until('the aperture control to be disabled', async () => {
      const c = await control('aperture');
      return c?.disabled ? c : undefined;
    });
    assert.match(locked.attributes['aria-label'] ?? '', /Locked for this roll/);
    await run('preview');
    await takeScreenshot('panel-exposure-locked'); // for the README
    // Battery is information only, never a control.
    const battery = await queryWorkbench({
      selector: '#exposure-controls [data-role="battery"] output',
      scope: 'webviews',
    });
    assert.ok(battery[0]?.text, 'battery level shown');
    await queryWorkbench({ selector: '#btn-exposure-lock', scope: 'webviews', click: true });
    await until('the aperture control to be enabled again', async () => {
      const c = await control('aperture');
      return c && !c.disabled ? c : undefined;
    });
    assert.strictEqual((await run<LockState>('getState')).exposureLock, undefined);
  });

  it('a control the mode dial decides is disabled with why', async () => {
    await run('setCameraSetting', { name: 'expprogram', value: 'A' });
    try {
      const shutter = await until('the shutter control to be disabled', async () => {
        const c = (
          await queryWorkbench({ selector: '#exposure-controls [data-role="shutter"] select', scope: 'webviews' })
        )[0];
        return c?.disabled ? c : undefined;
      });
      assert.match(shutter.attributes['aria-label'] ?? '', /Cannot be changed now: .+/);
    } finally {
      await run('setCameraSetting', { name: 'expprogram', value: 'M' });
    }
  });
});
