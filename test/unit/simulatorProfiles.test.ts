/**
 * The simulator's camera profiles (src/simulator/camera/profiles.ts) and its RAW size knob: which
 * values a config ends up with, and a 25 MB NEF arriving whole through a shell session. How long
 * things take is measured in bench/, not asserted here.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listDownloaded } from '../../src/camera/downloadedFiles';
import { ProcessRunner } from '../../src/camera/processRunner';
import { shellCommandError, ShellSession } from '../../src/camera/shellSession';
import { CAMERA_PROFILES } from '../../src/simulator/camera/profiles';
import { DEFAULT_CONFIG, loadConfig, SimConfigError } from '../../src/simulator/camera/simConfig';
import { transferTime } from '../../src/simulator/camera/download';
import { SIMULATOR_SCRIPT } from '../support/simulatorHarness';

describe('gphoto2 simulator: camera profiles', function () {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-simprofile-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const load = (file: object | undefined, envConfig?: object): ReturnType<typeof loadConfig> => {
    if (file) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(file));
    else fs.rmSync(path.join(dir, 'config.json'), { force: true });
    return loadConfig(dir, envConfig ? { CAMERA_TETHER_SIM_CONFIG: JSON.stringify(envConfig) } : {});
  };

  it('has a slow, a typical and a fast profile, each with every latency', () => {
    assert.deepStrictEqual(Object.keys(CAMERA_PROFILES).sort(), ['dslr', 'mirrorless', 'pi-nikon']);
    for (const [name, p] of Object.entries(CAMERA_PROFILES)) {
      for (const v of [p.connectMs, p.commandMs, p.exposureMs, p.transferMBps, p.liveViewFps])
        assert.ok(Number.isFinite(v) && v > 0, `${name}: ${JSON.stringify(p)}`);
    }
    assert.ok(CAMERA_PROFILES['pi-nikon'].connectMs > CAMERA_PROFILES.dslr.connectMs);
    assert.ok(CAMERA_PROFILES.dslr.connectMs > CAMERA_PROFILES.mirrorless.connectMs);
  });

  it('profile: "..." sets its latencies; fields given beside it win, in the file or the environment', () => {
    const p = CAMERA_PROFILES['pi-nikon'];
    const c = load({ profile: 'pi-nikon' });
    assert.deepStrictEqual(
      [c.startupMs, c.commandMs, c.exposureMs, c.transferMBps, c.liveViewFps],
      [p.connectMs, p.commandMs, p.exposureMs, p.transferMBps, p.liveViewFps],
    );
    assert.strictEqual(load({ profile: 'pi-nikon', exposureMs: 5 }).exposureMs, 5);
    assert.strictEqual(
      load({ exposureMs: 5 }, { profile: 'dslr' }).exposureMs,
      5,
      'a field in the file beats a profile named in the environment',
    );
    assert.strictEqual(
      load({ profile: 'pi-nikon' }, { profile: 'mirrorless' }).startupMs,
      CAMERA_PROFILES.mirrorless.connectMs,
    );
    assert.strictEqual(load(undefined).startupMs, DEFAULT_CONFIG.startupMs, 'no profile: no latency');
  });

  it('an unknown profile or a bad size is a loud setup error naming the known ones', () => {
    assert.throws(
      () => load({ profile: 'nikon-on-a-toaster' }),
      (e: unknown) => e instanceof SimConfigError && e.message.includes('pi-nikon, dslr, mirrorless'),
    );
    assert.throws(() => load({ rawBytes: 10 }), SimConfigError);
    assert.throws(() => load({ transferMBps: -1 }), SimConfigError);
  });

  it('a download takes bytes / rate at transferMBps, else transferMs per file', () => {
    assert.ok(Math.abs(transferTime({ transferMs: 0, transferMBps: 17.8 }, 25_000_000) - (25 / 17.8) * 1000) < 1e-6);
    assert.strictEqual(transferTime({ transferMs: 300, transferMBps: 0 }, 25_000_000), 300);
  });

  it('RAW+JPEG with a 25 MB NEF: both files arrive whole through a shell session', async function () {
    this.timeout(60_000);
    assert.ok(fs.existsSync(SIMULATOR_SCRIPT), 'run "node esbuild.js" first');
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ raw: true, rawBytes: 25_000_000 }));
    const runner = new ProcessRunner();
    try {
      const session = await ShellSession.open({
        start: (args, o) =>
          runner.start(process.execPath, [SIMULATOR_SCRIPT, ...args], {
            ...o,
            env: { ...o.env, CAMERA_TETHER_SIM_HOME: dir },
            timeoutMs: 0,
            graceMs: 1000,
          }),
        selection: { model: 'Camera Tether Simulator', port: 'usb:001,004' },
        cwd: dir,
        timeoutMs: 10_000,
      });
      const out = path.join(dir, 'out');
      fs.mkdirSync(out);
      const r = await session.captureAndDownload(out, { label: 'Capture', timeoutMs: 30_000 });
      assert.strictEqual(shellCommandError(r, 'Capture', 30_000), undefined, r.stderr);
      const files = await listDownloaded(out);
      assert.deepStrictEqual(
        files.map((f) => [path.basename(f.path), f.bytes > 0, f.complete]),
        [
          ['IMG_0001.JPG', true, true],
          ['IMG_0001.NEF', true, true],
        ],
      );
      assert.strictEqual(files[1].bytes, 25_000_000);
      assert.strictEqual(fs.readFileSync(files[1].path).subarray(0, 4).toString('latin1'), 'II*\0');
      await session.close();
    } finally {
      await runner.dispose();
    }
  });
});
