/**
 * The `gphoto2 --shell` driver (src/camera/shellSession.ts) against real gphoto2 2.5.28 transcripts
 * (test/fixtures/gphoto2/shell/, recorded by capture-shell-fixtures.mjs): each `driver: true`
 * transcript is what the driver types, played back chunk by chunk in the recorded order. Plus the
 * protocol's pieces on their own and hostile output.
 */
import * as assert from 'assert';
import { CameraError } from '../../src/camera/errors';
import {
  isShellPrompt,
  MAX_LINE_BYTES,
  pairShellErrors,
  shellCommandError,
  ShellSession,
  stripEcho,
  type ShellStartOptions,
} from '../../src/camera/shellSession';
import type { RunningProcess, RunResult } from '../../src/camera/processRunner';
import { ReplayedShell, shellTranscript, shellTranscriptNames } from '../support/shellReplay';

const VCAMERA = { model: 'Nikon DSC D750', port: 'usb:>/dev/null' };

/** Opens a session on a replayed transcript; `replay()` is the fake process once started. */
async function openReplay(
  name: string,
  options: { timeoutMs?: number; selection?: { model?: string; port?: string } } = {},
): Promise<{ session: ShellSession; replay: ReplayedShell }> {
  const transcript = shellTranscript(name);
  let replay: ReplayedShell | undefined;
  const session = await ShellSession.open({
    start: (args, o) => (replay = new ReplayedShell(transcript, args, o)),
    selection: options.selection ?? (transcript.camera === 'vcamera' ? VCAMERA : {}),
    timeoutMs: options.timeoutMs ?? 5000,
  });
  return { session, replay: replay as ReplayedShell };
}

/** The same, for a transcript whose session never opens: the error and the fake process. */
async function failedOpen(name: string, selection = {}): Promise<{ error: CameraError; replay: ReplayedShell }> {
  const transcript = shellTranscript(name);
  let replay: ReplayedShell | undefined;
  const error = await ShellSession.open({
    start: (args, o) => (replay = new ReplayedShell(transcript, args, o)),
    selection,
    timeoutMs: 5000,
  }).then(
    () => assert.fail('the session opened'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CameraError, String(error));
  return { error, replay: replay as ReplayedShell };
}

const opts = (label: string, timeoutMs = 5000): { label: string; timeoutMs: number } => ({ label, timeoutMs });

describe('gphoto2 --shell driver: replayed real transcripts', function () {
  it('every driver transcript is complete and was recorded from the lines the driver types', () => {
    const driver = shellTranscriptNames().filter((n) => shellTranscript(n).driver);
    assert.deepStrictEqual(driver, [
      'shell-session-capture',
      'shell-session-config',
      'shell-session-errors',
      'shell-session-existing-target',
      'shell-session-no-camera',
      'shell-session-open-fails',
      'shell-session-timeout',
    ]);
    for (const n of driver) {
      const t = shellTranscript(n);
      assert.ok(!t.deadline, `${n}: the recording hit a deadline: ${t.deadline}`);
      assert.deepStrictEqual(t.args.slice(-2), ['--filename=', '--shell'], n);
    }
  });

  it('shell-session-capture: opens with ls /, captures twice into their own folders, one process, exit', async () => {
    const { session, replay } = await openReplay('shell-session-capture');
    assert.deepStrictEqual(replay.args, ['--camera=Nikon DSC D750', '--port=usb:>/dev/null', '--filename=', '--shell']);
    const first = await session.captureAndDownload('/replay/tmp/one', opts('Capture'));
    assert.strictEqual(
      first.stdout,
      'New file is in location /store_00010001/DCIM/100GPHOT/GPH_0099.JPG on the camera\n' +
        'Saving file as GPH_0099.JPG\n' +
        'Deleting file /store_00010001/DCIM/100GPHOT/GPH_0099.JPG on the camera\n',
      'the echoes and the prompt are not part of the output',
    );
    assert.strictEqual(first.stderr, '');
    assert.deepStrictEqual(first.errors, []);
    assert.deepStrictEqual(first.saved, ['/replay/tmp/one/GPH_0099.JPG']);
    assert.strictEqual(shellCommandError(first, 'Capture', 5000), undefined);
    const second = await session.captureAndDownload('/replay/tmp/two', opts('Capture'));
    assert.deepStrictEqual(second.saved, ['/replay/tmp/two/GPH_0101.JPG']);
    assert.strictEqual(session.prompt, 'gphoto2: {/replay/tmp/two} /store_00010001/DCIM/101GPHOT> ');
    const end = await session.close();
    assert.strictEqual(end.exitCode, 0);
    assert.deepStrictEqual(replay.mismatches, []);
    assert.strictEqual(replay.signalsSent.length, 0, 'a clean close sends no signal');
    assert.ok(!session.alive);
  });

  it('shell-session-config: a value set is read back; several names in one get-config; errors paired', async () => {
    const { session, replay } = await openReplay('shell-session-config');
    const before = await session.getConfig(['f-number'], opts('Settings'));
    assert.ok(before.stdout.startsWith('Label: F-Number\n'), before.stdout);
    assert.ok(before.stdout.includes('Current: f/2.8\n'));
    const set = await session.setConfig('set-config-value', 'f-number', 'f/8', opts('Set f-number'));
    assert.deepStrictEqual([set.stdout, set.stderr, set.errors], ['', '', []]);
    const after = await session.getConfig(['f-number'], opts('Settings'));
    assert.ok(after.stdout.includes('Current: f/8\n'), after.stdout);
    const two = await session.getConfig(
      ['/main/capturesettings/f-number', '/main/capturesettings/shutterspeed'],
      opts('Settings'),
    );
    assert.strictEqual(two.stdout.split('\nEND\n').length - 1, 2, two.stdout);
    const bad = await session.getConfig(['/main/no/such', 'f-number'], opts('Settings'));
    assert.deepStrictEqual(bad.errors, [
      { code: -1, codeText: 'Unspecified error', message: '/main not found in configuration tree.' },
    ]);
    assert.ok(!bad.stdout.includes('Label:'), 'the shell stops at the first name that fails');
    // The same typed error a one-shot run gives for it (classifyOutcome), with gphoto2's message.
    const error = shellCommandError(bad, 'Settings', 5000);
    assert.strictEqual(error?.details.gphoto2Code, -1);
    assert.ok(error.message.includes('/main not found in configuration tree.'), error.message);
    const refused = await session.setConfig('set-config-value', 'f-number', 'banana', opts('Set f-number'));
    assert.deepStrictEqual(
      refused.errors.map((e) => e.code),
      [-2],
    );
    assert.ok(
      refused.errors[0].message.includes('Failed to set new configuration value banana'),
      refused.errors[0].message,
    );
    const silent = await session.setConfig('set-config-value', 'f-number', 'f/7', opts('Set f-number'));
    assert.deepStrictEqual(silent.errors, [], 'an unlisted value is taken without a word');
    const readBack = await session.getConfig(['f-number'], opts('Settings'));
    assert.ok(readBack.stdout.includes('Current: (null)\n'), readBack.stdout);
    await session.close();
    assert.deepStrictEqual(replay.mismatches, []);
  });

  it('shell-session-errors: the coded line on stdout and the message on stderr make one error; the session goes on', async () => {
    const { session, replay } = await openReplay('shell-session-errors');
    const preview = await session.capturePreview('/replay/tmp/one', opts('Preview'));
    assert.deepStrictEqual(preview.errors, [
      {
        code: -6,
        codeText: 'Unsupported operation',
        message: 'Sorry, your Nikon camera does not support LiveView mode',
      },
    ]);
    assert.strictEqual(shellCommandError(preview, 'Preview', 5000)?.kind, 'unsupported');
    const unknown = await session.getConfig(['/main/no/such'], opts('Settings'));
    assert.strictEqual(unknown.errors[0]?.code, -1);
    assert.ok(session.alive);
    await session.close();
    assert.deepStrictEqual(replay.mismatches, []);
  });

  it('shell-session-open-fails: the opening command fails: typed error, input ended, one SIGTERM, process gone', async () => {
    const { error, replay } = await failedOpen('shell-session-open-fails', {
      model: 'Nikon DSC D750',
      port: 'usb:999,999',
    });
    assert.strictEqual(error.details.gphoto2Code, -2);
    assert.ok(error.message.includes('Bad parameters'), error.message);
    assert.ok(replay.inputEnded);
    assert.deepStrictEqual(replay.signalsSent, ['SIGTERM']);
    assert.deepStrictEqual(replay.mismatches, []);
    assert.strictEqual((await replay.result).exitCode, 0);
  });

  it('shell-session-no-camera: gphoto2 exits before its prompt: the same notFound error as a one-shot run', async () => {
    const { error, replay } = await failedOpen('shell-session-no-camera');
    assert.strictEqual(error.kind, 'notFound');
    assert.strictEqual(error.details.gphoto2Code, -105);
    assert.deepStrictEqual(replay.linesTyped, []);
    assert.deepStrictEqual(replay.mismatches, []);
  });

  it('shell-session-existing-target: the overwrite question is answered by ending input; nothing overwritten, session ended', async () => {
    const { session, replay } = await openReplay('shell-session-existing-target');
    const error = await session.captureAndDownload('/replay/tmp/one', opts('Capture', 10000)).then(
      () => assert.fail('the capture succeeded'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CameraError);
    assert.strictEqual(error.kind, 'failed');
    assert.ok(error.message.includes('Nothing was overwritten'), error.message);
    assert.ok(error.message.includes('/replay/tmp/one'), error.message);
    assert.ok(replay.inputEnded);
    assert.deepStrictEqual(replay.signalsSent, [], 'gphoto2 leaves by itself at end of input');
    assert.ok(!replay.linesTyped.some((l) => /^[yn]\n$/.test(l)), 'never answers y or n');
    assert.ok(!session.alive);
    assert.deepStrictEqual(replay.mismatches, []);
  });

  it('shell-session-timeout: a command past its deadline ends the session (input ended, ONE SIGTERM) and reports a timeout', async () => {
    const { session, replay } = await openReplay('shell-session-timeout');
    const started = performance.now();
    const error = await session.waitEventAndDownload('/replay/tmp/one', 20000, opts('Tethered wait', 300)).then(
      () => assert.fail('the wait ended'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CameraError);
    assert.strictEqual(error.kind, 'timeout');
    assert.ok(performance.now() - started < 4000, 'not the 20 s of the wait');
    assert.deepStrictEqual(replay.signalsSent, ['SIGTERM']);
    assert.ok(replay.inputEnded);
    assert.ok(!session.alive);
    const next = await session.getConfig(['f-number'], opts('Settings')).then(
      () => assert.fail('a dead session answered'),
      (e: unknown) => e,
    );
    assert.ok(next instanceof CameraError && next.message.includes('session has ended'), String(next));
    assert.deepStrictEqual(replay.mismatches, []);
  });

  it('a cancel works like a timeout: the session ends and the error is "cancelled"', async () => {
    const { session, replay } = await openReplay('shell-session-timeout');
    const controller = new AbortController();
    const pending = session.waitEventAndDownload('/replay/tmp/one', 20000, {
      label: 'Tethered wait',
      timeoutMs: 10000,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 50);
    const error = await pending.then(
      () => assert.fail('the wait ended'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof CameraError);
    assert.strictEqual(error.kind, 'cancelled');
    assert.deepStrictEqual(replay.signalsSent, ['SIGTERM']);
    assert.deepStrictEqual(replay.mismatches, []);
  });

  it('stderr that arrives after the prompt belongs to its own command, not the next one (the marker)', async () => {
    // Recorded: the opening `ls /` fails, and its stderr (with the marker's line) arrives only after
    // the marker's prompt. Without the marker it would be taken for the next command's.
    const t = shellTranscript('shell-session-open-fails');
    const prompt = t.events.findIndex((e) => 'text' in e && e.fd === 'stdout' && e.text.includes('*** Error (-2'));
    const stderrAt = t.events.findIndex((e) => 'text' in e && e.fd === 'stderr');
    assert.ok(stderrAt > prompt, 'the recording has the race this guards against');
    const { error } = await failedOpen('shell-session-open-fails', { model: 'Nikon DSC D750', port: 'usb:999,999' });
    assert.ok(error.message.includes("An error occurred in the io-library ('Bad parameters')"), error.message);
  });
});

describe('gphoto2 --shell driver: protocol pieces', function () {
  it('recognises the prompt only as the whole last line', () => {
    assert.ok(isShellPrompt('gphoto2: {...ether-vcamera/vusb-cwd} /> '));
    assert.ok(isShellPrompt('gphoto2: {/tmp/gs-x/one} /store_00010001/DCIM/100GPHOT> '));
    assert.ok(!isShellPrompt('gphoto2: {/tmp} />'), 'no trailing space');
    assert.ok(!isShellPrompt('<amera/vusb-cwd} /> '), 'a prompt cut by readline (narrow COLUMNS)');
    assert.ok(!isShellPrompt('\u0007File GPH_0099.JPG exists. Overwrite? [y|n] '));
    assert.ok(!isShellPrompt(`gphoto2: {${'x'.repeat(2000)}} /> `), 'longer than any prompt');
  });

  it('strips the two echoes of the typed line, also after a buffered Cancelling...', () => {
    assert.strictEqual(stripEcho('ls /\nls /\nstore_00010001/     \n', 'ls /'), 'store_00010001/     \n');
    assert.strictEqual(stripEcho('\nCancelling...\nls /\nls /\nstore/\n', 'ls /'), '\nCancelling...\nstore/\n');
    assert.strictEqual(stripEcho('ls /\nls /\nls /\n', 'ls /'), 'ls /\n', 'only two');
    assert.strictEqual(stripEcho('\n\n', ''), '', 'an empty line');
  });

  it('pairs a -110 after a failed open with the port error its message names', () => {
    const errors = pairShellErrors(
      "\n*** Error ***              \nAn error occurred in the io-library ('Could not find the requested device on the USB port'): No error description available\n",
      "*** Error (-110: 'I/O in progress') ***\n",
    );
    assert.deepStrictEqual(
      errors.map((e) => [e.code, e.codeText]),
      [[-52, 'Could not find the requested device on the USB port']],
    );
  });

  it('refuses lines gphoto2 cannot take (line breaks, over 1000 bytes, names with spaces, relative folders)', async () => {
    const { session } = await openReplay('shell-session-capture');
    const refused = async (p: Promise<unknown>, part: string): Promise<void> => {
      const e = await p.then(
        () => assert.fail('accepted'),
        (x: unknown) => x,
      );
      assert.ok(e instanceof CameraError && e.message.includes(part), String(e));
    };
    await refused(session.run('summary\nexit', opts('Summary')), 'line break');
    await refused(session.run(`get-config ${'x'.repeat(MAX_LINE_BYTES)}`, opts('Settings')), `${MAX_LINE_BYTES} bytes`);
    await refused(session.getConfig(['ISO Speed'], opts('Settings')), 'contains a space');
    await refused(session.captureAndDownload('relative/dir', opts('Capture')), 'not an absolute');
    await refused(session.captureAndDownload('/tmp/a/../b', opts('Capture')), 'not an absolute');
    await session.terminate();
  });
});

describe('gphoto2 --shell driver: hostile output', function () {
  /** A process that answers the first command with `body` and a prompt, and the marker as gphoto2 does. */
  function hostile(body: () => void, options: ShellStartOptions): RunningProcess {
    let finish!: (r: RunResult) => void;
    const result = new Promise<RunResult>((resolve) => (finish = resolve));
    let typed = 0;
    const done = (): RunResult => ({
      command: 'gphoto2',
      args: [],
      exitCode: 0,
      stdout: '',
      stderr: '',
      timedOut: false,
      cancelled: false,
      durationMs: 0,
      stoppedByRequest: true,
    });
    setImmediate(() => options.onStdoutText('gphoto2: {/} /> '));
    return {
      pid: 1,
      command: 'gphoto2',
      args: [],
      stdout: undefined,
      result,
      notify: () => true,
      endInput: () => undefined,
      stop: () => {
        finish(done());
        return result;
      },
      writeInput: (text) => {
        typed++;
        const line = text.slice(0, -1);
        setImmediate(() => {
          options.onStdoutText(`${line}\n${line}\n`);
          if (line.startsWith('lcd /dev/null/')) {
            options.onStderrText(`ERROR: Could not change to local directory '${line.slice(4)}'.\n`);
          } else if (typed > 2) {
            body();
          }
          options.onStdoutText('gphoto2: {/} /> ');
        });
        return true;
      },
    };
  }

  it('megabytes without a newline, then a prompt: answered, the kept output bounded', async () => {
    let emit!: ShellStartOptions;
    const session = await ShellSession.open({
      start: (_args, o) => {
        emit = o;
        return hostile(() => {
          for (let i = 0; i < 40; i++) emit.onStdoutText('x'.repeat(256 * 1024));
          for (let i = 0; i < 20; i++) emit.onStderrText(`${'e'.repeat(256 * 1024)}\n`);
        }, o);
      },
      selection: {},
      timeoutMs: 5000,
    });
    const r = await session.summary(opts('Summary', 20000));
    assert.ok(r.stdout.length <= 4 * 1024 * 1024, `kept ${r.stdout.length} characters`);
    assert.ok(r.stderr.length <= 4 * 1024 * 1024, `kept ${r.stderr.length} characters of stderr`);
    assert.deepStrictEqual(r.errors, []);
    await session.terminate();
  });

  it('prompt-like lines inside the output are output: only the last line ends a command', async () => {
    let emit!: ShellStartOptions;
    const session = await ShellSession.open({
      start: (_args, o) => {
        emit = o;
        return hostile(() => emit.onStdoutText('gphoto2: {/} /> x\n'.repeat(10000) + 'gphoto2: {/} />'), o);
      },
      selection: {},
      timeoutMs: 5000,
    });
    // The hostile body ends with its own real prompt after this text, so the command does finish,
    // but only there: the prompt-like lines are part of the output.
    const r = await session.summary(opts('Summary'));
    assert.ok(r.stdout.startsWith('gphoto2: {/} /> x\n'), r.stdout.slice(0, 40));
    await session.terminate();
  });
});
