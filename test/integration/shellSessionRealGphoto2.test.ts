// The `gphoto2 --shell` driver (src/camera/shellSession.ts) driving Debian's REAL /usr/bin/gphoto2
// against libgphoto2's virtual camera (see test/support/vcamera.ts), through the project's
// ProcessRunner. One session: a setting written and read back, several captures, each into its own
// empty folder, files verified on disk, one process throughout. Then what ends a session: a
// deadline, an existing target. Skipped with the reason when the virtual camera is not built.
//
// The virtual camera dies (SIGSEGV) in a capture made after the battery level was read (summary,
// or get-config of /main/status/batterylevel): recorded in test/fixtures/gphoto2/shell/
// shell-summary-then-capture.json. So these sessions read f-number only.
import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as path from 'path';
import { isCompleteJpeg, listDownloaded } from '../../src/camera/downloadedFiles';
import { CameraError } from '../../src/camera/errors';
import { ProcessRunner } from '../../src/camera/processRunner';
import { shellCommandError, ShellSession } from '../../src/camera/shellSession';
import { tempDir } from '../support/simulatorHarness';
import { vcameraGphoto2, vcameraUnavailableReason, type VcameraGphoto2 } from '../support/vcamera';

const VCAMERA_SELECTION = { model: 'Nikon DSC D750', port: 'usb:>/dev/null' };

describe('gphoto2 --shell driver against the real gphoto2 and the virtual camera', function () {
  this.timeout(120_000);
  let vc: VcameraGphoto2;
  let runner: ProcessRunner;
  let work: string;

  before(function () {
    const reason = vcameraUnavailableReason();
    if (reason) {
      console.log(`      skipped: ${reason}`);
      this.skip();
    }
    vc = vcameraGphoto2() as VcameraGphoto2;
  });

  beforeEach(async () => {
    runner = new ProcessRunner();
    work = await tempDir('ct-shell-real-');
  });

  afterEach(async () => {
    await runner?.dispose();
    if (work) await fs.rm(work, { recursive: true, force: true });
    if (vc) await fs.rm(vc.env.HOME, { recursive: true, force: true }).catch(() => undefined);
  });

  function open(timeoutMs = 20_000): Promise<ShellSession> {
    return ShellSession.open({
      start: (args, o) =>
        runner.start(vc.command, args, {
          ...o,
          env: { ...vc.env, LANG: 'C', LC_ALL: 'C', ...o.env },
          cwd: vc.cwd,
          timeoutMs: 0,
          graceMs: 2000,
        }),
      selection: VCAMERA_SELECTION,
      cwd: vc.cwd,
      timeoutMs,
    });
  }

  async function emptyDir(name: string): Promise<string> {
    const dir = path.join(work, name);
    await fs.mkdir(dir);
    return dir;
  }

  it('one process: set-config-value then get-config reads it back, three captures each land complete in their own folder', async () => {
    const session = await open();
    const pid = session.pid;
    assert.ok(pid);
    const before = await session.getConfig(['f-number'], { label: 'Settings', timeoutMs: 10_000 });
    assert.ok(before.stdout.includes('Current: f/2.8\n'), before.stdout);
    const set = await session.setConfig('set-config-value', 'f-number', 'f/8', { label: 'Set', timeoutMs: 10_000 });
    assert.deepStrictEqual(set.errors, []);
    const after = await session.getConfig(['f-number'], { label: 'Settings', timeoutMs: 10_000 });
    assert.ok(after.stdout.includes('Current: f/8\n'), `the value set in this session: ${after.stdout}`);

    const seen: string[] = [];
    for (const n of [1, 2, 3]) {
      const dir = await emptyDir(`shot-${n}`);
      const r = await session.captureAndDownload(dir, { label: 'Capture', timeoutMs: 30_000 });
      assert.strictEqual(shellCommandError(r, 'Capture', 30_000), undefined, r.stderr);
      const files = await listDownloaded(dir);
      assert.strictEqual(files.length, 1, JSON.stringify(files));
      assert.ok(files[0].complete && (await isCompleteJpeg(files[0].path)), `${files[0].path} is a complete JPEG`);
      assert.deepStrictEqual(r.saved, [files[0].path], 'what gphoto2 says it saved is what is on disk');
      assert.strictEqual(session.pid, pid, 'the same gphoto2 process');
      assert.strictEqual(runner.activeCount, 1, 'exactly one gphoto2 child');
      seen.push(path.basename(files[0].path));
    }
    assert.strictEqual(new Set(seen).size, 3, `three different pictures: ${seen.join(', ')}`);
    const stillSet = await session.getConfig(['f-number'], { label: 'Settings', timeoutMs: 10_000 });
    assert.ok(stillSet.stdout.includes('Current: f/8\n'), 'the setting held through the captures');

    const end = await session.close();
    assert.strictEqual(end.exitCode, 0);
    assert.strictEqual(runner.activeCount, 0);
  });

  it('a deadline ends the session: typed timeout, the process gone, and a new session answers', async () => {
    const session = await open();
    const dir = await emptyDir('wait');
    const started = performance.now();
    const error = await session.waitEventAndDownload(dir, 20_000, { label: 'Tethered wait', timeoutMs: 1000 }).then(
      () => assert.fail('the 20 s wait finished within 1 s'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CameraError, String(error));
    assert.strictEqual(error.kind, 'timeout');
    assert.ok(!session.alive);
    assert.strictEqual(runner.activeCount, 0, 'gphoto2 has exited when the error arrives');
    assert.ok(performance.now() - started < 10_000, `took ${Math.round(performance.now() - started)} ms`);

    const next = await open();
    const r = await next.getConfig(['f-number'], { label: 'Settings', timeoutMs: 10_000 });
    assert.ok(r.stdout.includes('Label: F-Number'), r.stdout);
    await next.close();
  });

  it('an existing file in the download folder: nothing overwritten, the picture kept on the card, the session ended', async () => {
    const session = await open();
    const dir = await emptyDir('busy');
    const target = path.join(dir, 'GPH_0099.JPG'); // the virtual camera's first capture
    await fs.writeFile(target, 'old contents\n');
    const error = await session.captureAndDownload(dir, { label: 'Capture', timeoutMs: 30_000 }).then(
      () => assert.fail('the capture succeeded'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CameraError, String(error));
    assert.ok(error.message.includes('Nothing was overwritten'), error.message);
    assert.strictEqual(await fs.readFile(target, 'utf8'), 'old contents\n');
    assert.deepStrictEqual(await fs.readdir(dir), ['GPH_0099.JPG']);
    assert.ok(!session.alive);
    assert.strictEqual(runner.activeCount, 0);
  });

  it('an unsupported preview is a typed error and the session goes on', async () => {
    const session = await open();
    const r = await session.capturePreview(await emptyDir('preview'), { label: 'Preview', timeoutMs: 10_000 });
    assert.strictEqual(shellCommandError(r, 'Preview', 10_000)?.kind, 'unsupported');
    assert.ok(session.alive);
    const again = await session.getConfig(['f-number'], { label: 'Settings', timeoutMs: 10_000 });
    assert.deepStrictEqual(again.errors, []);
    await session.close();
  });
});
