import * as assert from 'assert';
import * as fs from 'fs';
import { LIVE_FRAME_ENCODING_ENV } from '../../../src/ui/panelProtocol';
import { run, simulatorConfig, until } from '../cameraCommands';
import { screenshotServiceAvailable, takeScreenshot } from '../screenshot';

interface State {
  state: string;
  nextFrame: number;
  liveView: { running: boolean; wanted: boolean };
  panel: {
    open: boolean;
    live?: { encoding: string; delivered: number; dropped: number; broken: number; fps: number };
  };
}

const getState = () => run<State>('getState');

describe('Live view in the panel', function () {
  this.timeout(120_000);
  before(async () => {
    simulatorConfig({ liveViewFps: 30, captureWidth: 600, captureHeight: 400 });
    await run('newRoll', 'live-roll');
  });
  after(async () => {
    await run('stopLiveView');
    simulatorConfig({});
  });

  it('streams frames that the webview displays and acknowledges', async () => {
    const r = await run<{ running: boolean }>('startLiveView');
    assert.strictEqual(r.running, true);
    const s = await until(
      '30 frames displayed in the webview',
      async () => {
        const st = await getState();
        return (st.panel.live?.delivered ?? 0) >= 30 ? st : undefined;
      },
      20_000,
    );
    assert.strictEqual(s.state, 'live');
    assert.strictEqual(s.panel.open, true);
    assert.strictEqual(s.panel.live?.broken, 0, 'the browser decoded every frame it was sent');
    assert.strictEqual(s.panel.live?.encoding, 'typed', 'typed arrays by default');
    if (screenshotServiceAvailable()) {
      const png = await takeScreenshot('panel-live-view');
      assert.ok(fs.statSync(png).size > 10_000, 'a real screenshot');
    }
  });

  it('SPACE-style capture during live view pauses, captures and resumes by itself', async () => {
    const before = (await getState()).panel.live?.delivered ?? 0;
    const c = await run<{ frame: number; files: string[] }>('capture');
    assert.strictEqual(c.frame, 1);
    assert.ok(fs.existsSync(c.files[0]));
    await until(
      'live view to resume and deliver again',
      async () => {
        const st = await getState();
        return st.liveView.running && (st.panel.live?.delivered ?? 0) > before + 10 ? st : undefined;
      },
      20_000,
    );
  });

  it('stop frees the camera: a capture right after succeeds; toggle starts it again', async () => {
    await run('stopLiveView');
    const s = await getState();
    assert.strictEqual(s.liveView.running, false);
    assert.strictEqual((await run<{ frame: number }>('capture')).frame, 2);
    assert.deepStrictEqual(await run('toggleLiveView'), { running: true });
    assert.deepStrictEqual(await run('toggleLiveView'), { running: false });
  });

  it('frames sent as base64 strings (what bench:webview compares against) are decoded too', async () => {
    process.env[LIVE_FRAME_ENCODING_ENV] = 'base64'; // read by the panel when a stream starts
    try {
      const before = (await getState()).panel.live?.delivered ?? 0;
      await run('startLiveView');
      const s = await until(
        '20 base64 frames displayed',
        async () => {
          const st = await getState();
          return (st.panel.live?.delivered ?? 0) >= before + 20 ? st : undefined;
        },
        20_000,
      );
      assert.strictEqual(s.panel.live?.encoding, 'base64');
      assert.strictEqual(s.panel.live?.broken, 0);
    } finally {
      process.env[LIVE_FRAME_ENCODING_ENV] = 'typed';
      await run('stopLiveView');
    }
  });

  it('undecodable frames from the camera are counted and do not stall the stream', async () => {
    simulatorConfig({ liveViewFps: 30, liveViewCorruptEvery: 3 });
    try {
      const before = (await getState()).panel.live ?? { delivered: 0, broken: 0 };
      await run('startLiveView');
      const s = await until(
        '30 more frames, some undecodable',
        async () => {
          const live = (await getState()).panel.live;
          return live && live.delivered >= before.delivered + 30 && live.broken > before.broken ? live : undefined;
        },
        20_000,
      );
      // Every third frame is corrupt; newest-first may skip some of either kind, so only bounds hold.
      const broken = s.broken - before.broken;
      const delivered = s.delivered - before.delivered;
      assert.ok(broken >= 1 && broken < delivered, `${broken} of ${delivered} frames undecodable`);
    } finally {
      await run('stopLiveView');
      simulatorConfig({ liveViewFps: 30 });
    }
  });

  it('a body without live view gets a typed error', async () => {
    simulatorConfig({ noLiveView: true });
    await assert.rejects(run('startLiveView'), (e: unknown) => (e as { kind?: string }).kind === 'unsupported');
    assert.strictEqual((await getState()).liveView.running, false);
    simulatorConfig({ liveViewFps: 30 });
  });
});
