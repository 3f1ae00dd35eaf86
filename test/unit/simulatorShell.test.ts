/**
 * The simulator's `--shell` (src/simulator/cli/shell.ts) as a black box, `node dist/simulator.js`
 * with its own state folder: the real gphoto2 2.5.28 shell transcripts
 * (test/fixtures/gphoto2/shell/) are done again step by step against it, and the texts compared
 * after naming what differs by nature (the camera's file and folder names, each camera's own
 * configuration values). Then Camera Tether's driver (src/camera/shellSession.ts) runs a session on
 * it through the ProcessRunner. Build first: `node esbuild.js --tests`.
 */
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isCompleteJpeg, listDownloaded } from '../../src/camera/downloadedFiles';
import { CameraError } from '../../src/camera/errors';
import { ProcessRunner } from '../../src/camera/processRunner';
import { shellCommandError, ShellSession } from '../../src/camera/shellSession';
import { SIMULATOR_SCRIPT } from '../support/simulatorHarness';
import { runTranscriptSteps, shellTranscript, type ShellTranscript } from '../support/shellReplay';

const MODEL = 'Camera Tether Simulator';
const PORT = 'usb:001,004';

interface SimRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Rig {
  home: string;
  /** A short folder like the recorder's /tmp/gs-XXXXXX, so the prompt shows it whole. */
  tmp: string;
  /** Where the simulator starts: its last 22 characters are the virtual camera's (`ether-vcamera/vusb-cwd`). */
  cwd: string;
}

const rigs: Rig[] = [];

function newRig(config: Record<string, unknown> = {}): Rig {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-simshell-home-'));
  fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify(config));
  const tmp = fs.mkdtempSync('/tmp/gs-');
  const cwd = path.join(home, 'camera-tether-vcamera', 'vusb-cwd');
  fs.mkdirSync(cwd, { recursive: true });
  const rig = { home, tmp, cwd };
  rigs.push(rig);
  return rig;
}

/** The transcript's arguments for the simulator: its own model and port instead of the virtual camera's. */
function simArgs(t: ShellTranscript): string[] {
  const args = t.args.map((a) => a.replace('Nikon DSC D750', MODEL).replace('usb:>/dev/null', PORT));
  return t.camera === 'vcamera' ? args.map((a, i) => (args[i - 1] === '--port' ? PORT : a)) : args;
}

/** Runs the transcript's steps against the simulator; resolves with what it printed and how it ended. */
async function replay(t: ShellTranscript, rig: Rig, cwd: string): Promise<SimRun> {
  for (const d of t.dirs ?? []) fs.mkdirSync(path.join(rig.tmp, d), { recursive: true });
  for (const [name, text] of Object.entries(t.setupFiles ?? {}))
    fs.writeFileSync(path.join(rig.tmp, name.replace('GPH_0099', 'IMG_0001')), text);
  const env: NodeJS.ProcessEnv = { ...process.env, CAMERA_TETHER_SIM_HOME: rig.home, COLUMNS: '4000' };
  delete env.CAMERA_TETHER_SIM_CONFIG;
  const child = spawn(process.execPath, [SIMULATOR_SCRIPT, ...simArgs(t)], {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners: Array<() => void> = [];
  const changed = (): void => listeners.forEach((l) => l());
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    stdout += d;
    changed();
  });
  child.stderr.on('data', (d: string) => {
    stderr += d;
    changed();
  });
  child.stdin.on('error', () => undefined);
  const done = new Promise<SimRun>((resolve) =>
    child.on('close', (code, signal) => {
      changed();
      resolve({ code, signal, stdout, stderr });
    }),
  );
  try {
    await runTranscriptSteps(
      {
        stdin: child.stdin,
        kill: (s) => child.kill(s),
        stdout: () => stdout,
        onChange: (l) => listeners.push(l),
        exited: () => child.exitCode !== null || child.signalCode !== null,
      },
      t.steps,
      rig.tmp,
    );
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([
      done,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`no exit: ${stdout.slice(-300)}`)), 10_000)),
      ),
    ]);
    clearTimeout(timer);
    return r;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/**
 * Real and simulated texts side by side: temp folders as <TMP>, the camera's own file and folder
 * names (GPH_0099 in 100GPHOT on the virtual camera, IMG_0001 in 100SIMUL here), and, where asked,
 * each camera's own configuration blocks.
 */
function normalise(text: string, tmp: string, configBlocks = false): string {
  let t = text
    .replaceAll(tmp, '<TMP>')
    .replace(/(?:GPH|IMG)_\d{4}\./g, '<FILE>.')
    .replace(/\/store_00010001\/DCIM\/\d{3}(?:GPHOT|SIMUL)/g, '<FOLDER>');
  if (configBlocks) t = t.replace(/Label: [^\n]*\n(?:[^\n]*\n)*?END\n/g, '<CONFIG>\n');
  return t;
}

/** The part of the transcript's stdout/stderr before the driver ended input (a race there decides the rest). */
function beforeEnd(t: ShellTranscript, stream: 'stdout' | 'stderr'): string {
  const at = t.events.findIndex((e) => 'eof' in e);
  return t.events
    .slice(0, at < 0 ? undefined : at)
    .filter((e) => 'text' in e && e.fd === stream)
    .map((e) => ('text' in e ? e.text : ''))
    .join('');
}

describe('gphoto2 simulator: --shell', function () {
  this.timeout(60_000);

  before(() => {
    assert.ok(fs.existsSync(SIMULATOR_SCRIPT), `${SIMULATOR_SCRIPT} is missing: run "node esbuild.js" first`);
  });

  afterEach(() => {
    for (const r of rigs.splice(0)) {
      fs.rmSync(r.home, { recursive: true, force: true });
      fs.rmSync(r.tmp, { recursive: true, force: true });
    }
  });

  describe('the real gphoto2 2.5.28 transcripts, done again against the simulator', () => {
    const same: Array<{ name: string; config?: Record<string, unknown>; cwd?: 'tmp' }> = [
      { name: 'shell-session-capture' },
      { name: 'shell-session-errors', config: { noLiveView: true } },
      { name: 'shell-session-timeout' },
      { name: 'shell-session-existing-target' },
      { name: 'shell-session-no-camera', config: { noCamera: true }, cwd: 'tmp' },
      { name: 'shell-errors' },
      { name: 'shell-sigint-idle' },
      { name: 'shell-sigterm-idle' },
      { name: 'shell-sigint-wait-event' },
      { name: 'shell-wait-event-and-download' },
      { name: 'shell-eof' },
    ];
    for (const c of same) {
      it(`${c.name}: the same stdout, stderr and exit code`, async () => {
        const t = shellTranscript(c.name);
        const rig = newRig(c.config);
        const r = await replay(t, rig, c.cwd === 'tmp' ? rig.tmp : rig.cwd);
        assert.strictEqual(r.code, t.exitCode, r.stderr);
        assert.strictEqual(normalise(r.stdout, rig.tmp), normalise(t.stdout, '<TMP>'));
        assert.strictEqual(normalise(r.stderr, rig.tmp), normalise(t.stderr, '<TMP>'));
      });
    }

    it('shell-session-existing-target: the old file is untouched and nothing else is saved', async () => {
      const t = shellTranscript('shell-session-existing-target');
      const rig = newRig();
      await replay(t, rig, rig.cwd);
      assert.deepStrictEqual(fs.readdirSync(path.join(rig.tmp, 'one')), ['IMG_0001.JPG']);
      assert.strictEqual(fs.readFileSync(path.join(rig.tmp, 'one', 'IMG_0001.JPG'), 'utf8'), 'old contents\n');
    });

    it('shell-session-open-fails: a port with no camera: -2 on stdout, the port error on stderr, the shell goes on until ended', async () => {
      const t = shellTranscript('shell-session-open-fails');
      const rig = newRig();
      const r = await replay(t, rig, rig.tmp);
      assert.strictEqual(r.code, t.exitCode);
      // Up to the end of input: after it, SIGTERM and end of input race in both programs.
      assert.ok(r.stdout.startsWith(normalise(beforeEnd(t, 'stdout'), '<TMP>').replaceAll('<TMP>', rig.tmp)), r.stdout);
      assert.strictEqual(r.stderr, beforeEnd(t, 'stderr'));
    });

    it("shell-session-config: the same exchange up to the refusals (whose texts are the settings work's)", async () => {
      const full = shellTranscript('shell-session-config');
      const cut = full.steps.findIndex((s) => s.send?.includes('banana'));
      const t: ShellTranscript = {
        ...full,
        steps: [...full.steps.slice(0, cut), { send: 'exit' }, { close: true, afterMs: 0, force: true }],
      };
      const rig = newRig();
      const r = await replay(t, rig, rig.cwd);
      assert.strictEqual(r.code, 0, r.stderr);
      const upTo = (text: string): string => text.slice(0, text.indexOf('set-config-value f-number=banana'));
      const expected = `${normalise(upTo(full.stdout), '<TMP>', true)}exit\nexit\n`;
      assert.strictEqual(normalise(r.stdout, rig.tmp, true), expected);
      const marker = "'/dev/null/camera-tether-sync-6'.\n";
      assert.strictEqual(r.stderr, full.stderr.slice(0, full.stderr.indexOf(marker) + marker.length));
    });

    it("shell-config: the shell has no list-all-config, as gphoto2's", async () => {
      const rig = newRig();
      const r = await replay(
        { ...shellTranscript('shell-config'), steps: [{ send: 'list-all-config' }, { send: 'exit' }] },
        rig,
        rig.cwd,
      );
      assert.strictEqual(r.stderr, 'ERROR: Invalid command.\n');
      assert.strictEqual(r.code, 0);
    });
  });

  describe("Camera Tether's driver on the simulator", () => {
    let runner: ProcessRunner;

    beforeEach(() => (runner = new ProcessRunner()));
    afterEach(async () => runner.dispose());

    function open(rig: Rig): Promise<ShellSession> {
      return ShellSession.open({
        start: (args, o) =>
          runner.start(process.execPath, [SIMULATOR_SCRIPT, ...args], {
            ...o,
            env: { ...o.env, CAMERA_TETHER_SIM_HOME: rig.home },
            timeoutMs: 0,
            graceMs: 1000,
          }),
        selection: { model: MODEL, port: PORT },
        cwd: rig.cwd,
        timeoutMs: 10_000,
      });
    }

    it('one process holds the claim for three captures; every file complete in its own folder; close frees the camera', async () => {
      const rig = newRig({ raw: true });
      const session = await open(rig);
      const lock = path.join(rig.home, 'device.lock');
      const holder = (): string => fs.readFileSync(lock, 'utf8').split(/\s+/)[0];
      assert.strictEqual(holder(), String(session.pid), 'the session claimed the camera when it opened');
      for (const n of [1, 2, 3]) {
        const dir = path.join(rig.tmp, `shot-${n}`);
        fs.mkdirSync(dir);
        const r = await session.captureAndDownload(dir, { label: 'Capture', timeoutMs: 10_000 });
        assert.strictEqual(shellCommandError(r, 'Capture', 10_000), undefined, r.stderr);
        const files = await listDownloaded(dir);
        const stem = `IMG_${String(n).padStart(4, '0')}`;
        assert.deepStrictEqual(
          files.map((f) => path.basename(f.path)),
          [`${stem}.JPG`, `${stem}.NEF`],
        );
        assert.ok(files.every((f) => f.complete));
        assert.ok(await isCompleteJpeg(path.join(dir, `${stem}.JPG`)));
        assert.deepStrictEqual(r.saved.sort(), files.map((f) => f.path).sort());
        assert.strictEqual(holder(), String(session.pid), 'still the same process');
      }
      const end = await session.close();
      assert.strictEqual(end.exitCode, 0);
      assert.ok(!fs.existsSync(lock), 'the claim is released');
    });

    it('a signal while a download runs cancels that command only (-112 is not reported) and the shell goes on', async () => {
      const rig = newRig({ transferMs: 3000 });
      const runnerless = spawn(
        process.execPath,
        [SIMULATOR_SCRIPT, '--camera', MODEL, '--port', PORT, '--filename=', '--shell'],
        {
          cwd: rig.cwd,
          env: { ...process.env, CAMERA_TETHER_SIM_HOME: rig.home },
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      runnerless.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const until = async (what: string, ok: () => boolean): Promise<void> => {
        const end = Date.now() + 10_000;
        while (!ok()) {
          if (Date.now() > end) throw new Error(`no ${what}: ${stdout}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      try {
        await until('prompt', () => stdout.endsWith('/> '));
        runnerless.stdin.write(`lcd ${rig.tmp}\n`);
        await until('lcd', () => stdout.includes('Local directory now'));
        runnerless.stdin.write('capture-image-and-download\n');
        await until('download', () => stdout.includes('Saving file as IMG_0001.JPG'));
        runnerless.kill('SIGTERM');
        await until('the prompt after the cancelled capture', () => stdout.endsWith('100SIMUL> '));
        assert.ok(stdout.includes('\nCancelling...\n'), stdout);
        assert.ok(!stdout.includes('*** Error (-112'), 'a cancel is not reported');
        assert.ok(!fs.existsSync(path.join(rig.tmp, 'IMG_0001.JPG')), 'no partial file');
        runnerless.stdin.write('ls /\n');
        await until('ls', () => stdout.includes('store_00010001/'));
        runnerless.stdin.end();
        const code = await new Promise<number | null>((resolve) => runnerless.on('close', (c) => resolve(c)));
        assert.strictEqual(code, 0);
      } finally {
        if (runnerless.exitCode === null) runnerless.kill('SIGKILL');
      }
    });

    it('the driver ends a session whose command outlives its deadline; the simulator exits and frees the camera', async () => {
      const rig = newRig();
      const session = await open(rig);
      const dir = path.join(rig.tmp, 'wait');
      fs.mkdirSync(dir);
      const error = await session.waitEventAndDownload(dir, 30_000, { label: 'Tethered wait', timeoutMs: 500 }).then(
        () => assert.fail('the wait finished'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof CameraError && error.kind === 'timeout', String(error));
      assert.strictEqual(runner.activeCount, 0);
      assert.ok(!fs.existsSync(path.join(rig.home, 'device.lock')), 'the claim is released');
    });
  });
});
