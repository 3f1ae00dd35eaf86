/**
 * The actions offered with an error (notification buttons and the panel's banner) run through
 * ErrorPresenter; these tests use the real class in the real extension host, with the camera's
 * current state given as plain functions.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { CameraError } from '../../../src/camera/errors';
import { ErrorPresenter } from '../../../src/ui/errorPresenter';
import { RETRY_COMMANDS } from '../../../src/ui/previewPanel';

describe('Error actions', () => {
  const log = vscode.window.createOutputChannel('Camera Tether error-action tests', { log: true });
  after(() => log.dispose());

  it('"Try Again" runs only while its error is still the camera\'s current one, never from a stale notification', async () => {
    const failure = new CameraError('notFound', 'no camera found', {}, ['useSimulator', 'retry', 'showLog']);
    let current: CameraError | undefined = failure;
    let retries = 0;
    const presenter = new ErrorPresenter(log, { currentError: () => current, usingSimulator: () => false });
    const retry = async () => {
      retries++;
      current = undefined; // the retry succeeded
    };
    await presenter.run('retry', failure, retry);
    assert.strictEqual(retries, 1, 'retried while the error was current');
    // The same failure's notification is still open; the user clicks its "Try Again" later.
    void presenter.run('retry', failure, retry);
    assert.strictEqual(retries, 1, 'a stale "Try Again" does not fire the camera again');
    current = new CameraError('busy', 'a newer failure');
    void presenter.run('retry', failure, retry);
    assert.strictEqual(retries, 1, 'nor does one whose error was replaced by another');
  });

  it('"Use Simulated Camera" is not offered while the simulated camera is in use', () => {
    const failure = new CameraError('notFound', 'no camera found', {}, ['useSimulator', 'retry', 'showLog']);
    let simulated = true;
    const presenter = new ErrorPresenter(log, { currentError: () => failure, usingSimulator: () => simulated });
    assert.deepStrictEqual(presenter.actionsFor(failure, true), ['retry', 'showLog']);
    assert.deepStrictEqual(presenter.actionsFor(failure, false), ['showLog'], 'no retry without something to retry');
    simulated = false;
    assert.deepStrictEqual(presenter.actionsFor(failure, true), ['useSimulator', 'retry', 'showLog']);
  });

  it('the banner\'s "Try Again" of every job users start names a command that exists', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const mapped = Object.entries(RETRY_COMMANDS).filter((e): e is [string, string] => e[1] !== undefined);
    assert.ok(mapped.length >= 6, 'preview, capture, test capture, cleanup, detect and live view can be retried');
    for (const [job, command] of mapped)
      assert.ok(registered.has(command), `${job} -> ${command} is a registered command`);
    assert.strictEqual(
      RETRY_COMMANDS.liveView,
      'cameraTether.startLiveView',
      'live view is retried by starting it (was the nonexistent cameraTether.liveView)',
    );
  });
});
