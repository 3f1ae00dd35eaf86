import * as assert from 'assert';
import { CameraError } from '../../src/camera/errors';
import * as gp from '../../src/camera/gphoto2';
import { fixture, outcomeOf } from '../support/fixtures';

const ctx = { job: 'Capture', command: 'gphoto2', timeoutMs: 60_000 };

function classify(name: string): CameraError | undefined {
  return gp.classifyOutcome(outcomeOf(fixture(name)), ctx);
}

describe('gphoto2 front end', () => {
  describe('argv builders', () => {
    it('passes both --camera and --port when a body is chosen (gphoto2 would remember a lone one)', () => {
      assert.deepStrictEqual(gp.summaryArgs({ model: 'Canon EOS 700D', port: 'usb:001,004' }), [
        '--camera=Canon EOS 700D',
        '--port=usb:001,004',
        '--summary',
      ]);
      assert.deepStrictEqual(gp.summaryArgs({}), ['--summary']);
    });

    it('keeps hostile model and port strings as single argv elements', () => {
      const model = `Nikon "D750"; rm -rf $(echo ~) \`x\``;
      const args = gp.summaryArgs({ model, port: 'usb:001,004 ; ls' });
      assert.strictEqual(args[0], `--camera=${model}`);
      assert.strictEqual(args[1], '--port=usb:001,004 ; ls');
      assert.strictEqual(args.length, 3);
    });

    it('a model or port starting with "-" stays the value of --camera/--port (one argv element each)', () => {
      // popt reads `--camera=<v>` up to the end of that one element, whatever <v> looks like.
      assert.deepStrictEqual(gp.summaryArgs({ model: '--version', port: '-h' }), [
        '--camera=--version',
        '--port=-h',
        '--summary',
      ]);
      assert.deepStrictEqual(gp.captureMovieArgs({ model: '--', port: '--port=x' }), [
        '--camera=--',
        '--port=--port=x',
        '--capture-movie',
        '--stdout',
      ]);
    });

    it('escapes % in every path it hands gphoto2 (it expands codes in the whole --filename), keeping only %f.%C as codes', () => {
      const folders = ['/o/scans-%d', '/o/scans 100%', '/o/a%%b', '/o/Film ß ø 日本', '/o/%', '/o/%f.%C'];
      for (const folder of folders) {
        const [filename] = gp
          .captureAndDownloadArgs({}, `${folder}/.camera-tether-staging/1-1-x`, false)
          .filter((a) => a.startsWith('--filename='));
        // Every % of the folder is doubled (%% is gphoto2's literal %); the pattern's own codes follow.
        assert.strictEqual(
          filename,
          `--filename=${folder.replace(/%/g, '%%')}/.camera-tether-staging/1-1-x/%f.%C`,
          folder,
        );
        const [preview] = gp
          .capturePreviewArgs({}, `${folder}/.preview-x/preview.jpg`)
          .filter((a) => a.startsWith('--filename='));
        assert.strictEqual(preview, `--filename=${folder.replace(/%/g, '%%')}/.preview-x/preview.jpg`, folder);
      }
      assert.strictEqual(gp.escapeFilenamePattern('100%'), '100%%');
      assert.strictEqual(gp.escapeFilenamePattern('%%d'), '%%%%d');
    });

    it('downloads captures under the camera names into the staging folder', () => {
      assert.deepStrictEqual(gp.captureAndDownloadArgs({}, '/out/.staging/1', false), [
        '--capture-image-and-download',
        '--filename=/out/.staging/1/%f.%C',
      ]);
      assert.deepStrictEqual(gp.captureAndDownloadArgs({}, '/s', true).slice(-1), ['--keep']);
      assert.deepStrictEqual(gp.capturePreviewArgs({}, '/p/preview.jpg'), [
        '--capture-preview',
        '--filename=/p/preview.jpg',
      ]);
      assert.deepStrictEqual(gp.captureMovieArgs({}), ['--capture-movie', '--stdout']);
    });

    it('formats a command line for the log with quoting', () => {
      assert.strictEqual(
        gp.formatCommandLine('gphoto2', ['--camera', 'Canon EOS 700D', '--summary']),
        "gphoto2 --camera 'Canon EOS 700D' --summary",
      );
    });
  });

  describe('parsers on real gphoto2 output', () => {
    it('parses --version', () => {
      assert.deepStrictEqual(gp.parseVersion(fixture('version').stdout), { gphoto2: '2.5.28', libgphoto2: '2.5.30' });
      assert.throws(
        () => gp.parseVersion('Python 3.11.7'),
        (e: unknown) => e instanceof CameraError && e.kind === 'badOutput',
      );
    });

    it('parses --auto-detect with no camera as an empty list', () => {
      assert.deepStrictEqual(gp.parseAutoDetect(fixture('auto-detect-no-camera').stdout), []);
    });

    it('parses --auto-detect rows with spaces in the model', () => {
      const header = fixture('auto-detect-no-camera').stdout;
      const rows = `${header.trimEnd()}\nCanon EOS 700D                 usb:001,004     \nNikon DSC D750 (PTP mode)      usb:002,010     \nSony Alpha-A7 II (Control)     ptpip:192.168.1.5\n`;
      assert.deepStrictEqual(gp.parseAutoDetect(rows), [
        { model: 'Canon EOS 700D', port: 'usb:001,004' },
        { model: 'Nikon DSC D750 (PTP mode)', port: 'usb:002,010' },
        { model: 'Sony Alpha-A7 II (Control)', port: 'ptpip:192.168.1.5' },
      ]);
    });

    it('rejects garbage instead of inventing cameras', () => {
      assert.throws(
        () => gp.parseAutoDetect('\u0000\u00ff garbage\nmore'),
        (e: unknown) => e instanceof CameraError && e.kind === 'badOutput',
      );
    });

    it('reads the saved path and the camera path of a real capture', () => {
      const f = fixture('vcamera-capture-image-and-download');
      assert.strictEqual(gp.parseSavedFiles(f.stdout).length, 1);
      assert.match(gp.parseSavedFiles(f.stdout)[0], /\.JPG$/);
      assert.match(gp.parseNewCameraFiles(f.stdout)[0], /^\/store_00010001\/DCIM\/.+\.JPG$/);
    });

    it('parses error blocks with their codes, including one glued to its message', () => {
      assert.deepStrictEqual(gp.parseErrors(fixture('summary-no-camera').stderr), [
        { code: -105, codeText: 'Unknown model', message: 'Could not detect any camera' },
      ]);
      const port = gp.parseErrors(fixture('port-malformed').stderr);
      assert.strictEqual(port[0].code, -5);
      assert.match(port[0].message, /--list-ports/);
      assert.strictEqual(gp.parseErrors(fixture('remembered-camera-no-device').stderr)[0].code, -2000);
    });
  });

  describe('classifyOutcome on real gphoto2 output', () => {
    it('no camera -> notFound with the simulator as a way out', () => {
      const e = classify('summary-no-camera');
      assert.strictEqual(e?.kind, 'notFound');
      assert.ok(e?.actions.includes('useSimulator'));
      assert.strictEqual(classify('remembered-camera-no-device')?.kind, 'notFound');
    });

    it('claim failure (-53) -> busy with Cleanup, naming the daemon', () => {
      const e = classify('claim-usb-device-busy');
      assert.strictEqual(e?.kind, 'busy');
      assert.strictEqual(e?.details.gphoto2Code, -53);
      assert.match(e?.message ?? '', /gvfs-gphoto2-volume-monitor/);
      assert.ok(e?.actions.includes('cleanup'));
    });

    it('preview on a body without live view -> unsupported with the real message', () => {
      const e = classify('vcamera-capture-preview');
      assert.strictEqual(e?.kind, 'unsupported');
      assert.match(e?.message ?? '', /does not support LiveView/);
    });

    it('a malformed port -> badSetting naming cameraTether.port', () => {
      const e = classify('port-malformed');
      assert.strictEqual(e?.kind, 'badSetting');
      assert.strictEqual(e?.details.setting, 'cameraTether.port');
    });

    it('an unknown option -> failed, saying gphoto2 rejected its arguments', () => {
      assert.match(classify('unknown-option')?.message ?? '', /rejected its arguments/);
    });

    it('exit 0 with "ERROR: Could not get image." is still a failure', () => {
      const e = classify('vcamera-download-existing-target');
      assert.ok(e, 'a failure line must not pass as success');
      assert.match(e.message, /Could not get image/);
    });

    it('a real successful capture is no error (files are verified separately)', () => {
      const f = fixture('vcamera-capture-image-and-download');
      assert.strictEqual(gp.classifyOutcome({ ...outcomeOf(f), exitCode: 0 }, ctx), undefined);
    });

    it('signal 9 -> killed, never a bare -9', () => {
      const e = gp.classifyOutcome(
        { signal: 'SIGKILL', stdout: '', stderr: '', timedOut: false, cancelled: false },
        ctx,
      );
      assert.strictEqual(e?.kind, 'killed');
      assert.match(e?.message ?? '', /killed \(signal 9\).*Cleanup/);
      assert.doesNotMatch(e?.message ?? '', /-9/);
    });

    it('timeouts, cancellation and a missing binary are typed', () => {
      assert.strictEqual(
        gp.classifyOutcome({ stdout: '', stderr: '', timedOut: true, cancelled: false }, ctx)?.kind,
        'timeout',
      );
      assert.strictEqual(
        gp.classifyOutcome({ stdout: '', stderr: '', timedOut: false, cancelled: true }, ctx)?.kind,
        'cancelled',
      );
      const missing = gp.classifyOutcome(
        { stdout: '', stderr: '', timedOut: false, cancelled: false, spawnErrorCode: 'ENOENT' },
        ctx,
      );
      assert.strictEqual(missing?.kind, 'gphoto2Missing');
      assert.match(missing?.message ?? '', /apt install gphoto2/);
    });
  });
});
