// A job's gphoto2 argv as shell commands, and the shell's answers as one run's output
// (src/camera/shellCommands.ts): what translates, what runs as a process of its own, and how the
// answers join so that the jobs judge them as they judge one process.
import * as assert from 'assert';
import * as path from 'path';
import { readAllSettingsArgs, writeSettingsArgs, type PlannedWrite } from '../../src/camera/config/configArgs';
import { classifyOutcome } from '../../src/camera/gphoto2';
import * as gp from '../../src/camera/gphoto2';
import {
  getConfigBatches,
  listAllConfigText,
  parseConfigPaths,
  shellPlanFor,
  splitConfigBlocks,
  synthesiseRun,
} from '../../src/camera/shellCommands';
import type { ShellCommandResult } from '../../src/camera/shellSession';
import { parseConfigListing } from '../../src/camera/config/configParser';

const SEL = { model: 'Nikon DSC D750', port: 'usb:001,004' };

function answer(line: string, stdout: string, stderr = '', localDir?: string): ShellCommandResult {
  return {
    line,
    stdout,
    stderr,
    errors: [...gp.parseErrors(stderr), ...gp.parseErrors(stdout).filter((e) => e.code !== undefined)],
    failures: gp.parseFailureLines(`${stderr}\n${stdout}`),
    saved: [],
    localDir,
    durationMs: 1,
  };
}

describe('shell commands for a job (shellCommands.ts)', () => {
  it("a capture into the job's own folder becomes a capture inside an event wait there; --keep is reported", () => {
    const dir = '/tmp/roll/.staging/job 100% ß';
    assert.deepStrictEqual(shellPlanFor(gp.captureAndDownloadArgs(SEL, dir, false), dir), {
      steps: [{ kind: 'captureInWait', localDir: dir }],
      keep: false,
      downloads: true,
    });
    assert.strictEqual(shellPlanFor(gp.captureAndDownloadArgs(SEL, dir, true), dir)?.keep, true);
    // Another folder than the job's: the shell could not put the files there.
    assert.strictEqual(shellPlanFor(gp.captureAndDownloadArgs(SEL, dir, false), '/tmp/other'), undefined);
    assert.strictEqual(shellPlanFor(gp.captureAndDownloadArgs(SEL, dir, false), undefined), undefined);
  });

  it('a preview goes to its folder under the name gphoto2 chooses; summary, reads and writes are lines', () => {
    const dir = '/tmp/previews/.preview-x';
    assert.deepStrictEqual(shellPlanFor(gp.capturePreviewArgs(SEL, path.join(dir, 'preview.jpg')), dir)?.steps, [
      { kind: 'line', line: 'capture-preview', localDir: dir },
    ]);
    assert.deepStrictEqual(shellPlanFor(gp.summaryArgs(SEL), undefined)?.steps, [{ kind: 'line', line: 'summary' }]);
    assert.deepStrictEqual(shellPlanFor(readAllSettingsArgs(SEL), undefined)?.steps, [{ kind: 'listAllConfig' }]);
    const plan = {
      cliName: 'f-number',
      option: 'value',
      argument: 'f/8 1/3',
    } as unknown as PlannedWrite;
    assert.deepStrictEqual(shellPlanFor(writeSettingsArgs(SEL, [plan]), undefined)?.steps, [
      { kind: 'line', line: 'set-config-value f-number=f/8 1/3' },
      { kind: 'line', line: 'get-config f-number' },
    ]);
  });

  it('what the shell cannot run goes to a process of its own', () => {
    for (const args of [
      gp.autoDetectArgs(),
      gp.versionArgs(),
      gp.listCardFilesArgs(SEL),
      gp.captureMovieArgs(SEL),
      gp.captureTetheredArgs(SEL, '/tmp/x', false),
      gp.getCardFilesArgs(SEL, ['/store/DCIM/A.JPG'], '/tmp/x'),
      [...gp.selectionArgs(SEL)],
    ])
      assert.strictEqual(shellPlanFor(args, '/tmp/x'), undefined, args.join(' '));
  });

  it('joins the answers as one run: absolute saved names, the coded line of the LAST command on stderr, its exit code', () => {
    const dir = '/tmp/job';
    const refused = answer(
      'set-config-value iso=50',
      "*** Error (-2: 'Bad parameters') ***\n",
      '\n*** Error ***              \nFailed to set new configuration value 50 for configuration entry iso.\n',
    );
    const capture = answer(
      'wait-event-and-download 5000ms',
      'New file is in location /store_00010001/DCIM/100GPHOT/IMG_0001.JPG on the camera\nSaving file as IMG_0001.JPG\n',
      '',
      dir,
    );
    const ok = synthesiseRun([
      { result: refused, failed: true },
      { result: capture, failed: false },
    ]);
    assert.strictEqual(ok.exitCode, 0);
    assert.ok(ok.stdout.includes(`Saving file as ${dir}/IMG_0001.JPG\n`), ok.stdout);
    assert.ok(!ok.stderr.includes('*** Error (-2'), 'an earlier refusal leaves no coded line, as in one run');
    assert.ok(ok.stderr.includes('Failed to set new configuration value 50'), 'but its message stays');
    // Exit 0 with libgphoto2's message, as one run prints it (the exposure-lock check reads it).
    assert.strictEqual(
      classifyOutcome(
        { ...ok, timedOut: false, cancelled: false },
        { job: 'Capture', command: 'gphoto2', timeoutMs: 1 },
      )?.details.exitCode,
      0,
    );

    const busy = answer(
      'capture-preview',
      "*** Error (-110: 'I/O in progress') ***\n",
      '\n*** Error ***              \nPTP Device Busy\n',
      dir,
    );
    const failed = synthesiseRun([{ result: busy, failed: true }]);
    assert.strictEqual(failed.exitCode, 1);
    assert.strictEqual(
      classifyOutcome(
        { ...failed, timedOut: false, cancelled: false },
        { job: 'Preview', command: 'gphoto2', timeoutMs: 1 },
      )?.kind,
      'busy',
    );
  });

  it('--list-all-config from list-config and get-config blocks, in batches that fit the shell line', () => {
    const paths = parseConfigPaths('/main/actions/autofocusdrive\n/main/capturesettings/f-number\nnot a path\n');
    assert.deepStrictEqual(paths, ['/main/actions/autofocusdrive', '/main/capturesettings/f-number']);
    const blocks = splitConfigBlocks(
      'Label: Drive Nikon DSLR Autofocus\nReadonly: 0\nType: TOGGLE\nCurrent: 0\nEND\nLabel: F-Number\nReadonly: 0\nType: RADIO\nCurrent: f/8\nChoice: 0 f/8\nEND\n',
    );
    assert.strictEqual(blocks.length, 2);
    const widgets = parseConfigListing(listAllConfigText(paths.map((p, i) => ({ path: p, block: blocks[i] }))));
    assert.deepStrictEqual(
      widgets.map((w) => [w.path, w.current]),
      [
        ['/main/actions/autofocusdrive', '0'],
        ['/main/capturesettings/f-number', 'f/8'],
      ],
    );
    const many = Array.from({ length: 100 }, (_, i) => `/main/capturesettings/setting-number-${i}`);
    const batches = getConfigBatches(many, 1000);
    assert.deepStrictEqual(batches.flat(), many, 'every path once, in order');
    for (const b of batches) assert.ok(Buffer.byteLength(`get-config ${b.join(' ')}`) <= 1000);
  });
});
