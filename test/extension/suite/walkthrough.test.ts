/**
 * The Getting Started walkthrough, as the workbench renders it (read from the real page, see
 * ../workbenchQuery.ts): contributed with its six steps, each step's media shipped, and a step
 * ticked when the user does what it asks.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { run, until } from '../cameraCommands';
import { screenshotServiceAvailable, takeScreenshot } from '../screenshot';
import { queryServiceAvailable, queryWorkbench, waitForWorkbench } from '../workbenchQuery';

interface Step {
  id: string;
  title: string;
  media: { markdown?: string; image?: string };
  completionEvents?: string[];
}

const extension = () => vscode.extensions.getExtension('camera-tether.camera-tether');

describe('The Getting Started walkthrough', function () {
  this.timeout(120_000);

  before(async () => {
    await extension()?.activate();
  });

  it("every step's media is in the extension and shipped in the .vsix; its buttons and completion events name real commands", async () => {
    const ext = extension();
    assert.ok(ext);
    const walkthroughs = (ext.packageJSON as { contributes: { walkthroughs: { id: string; steps: Step[] }[] } })
      .contributes.walkthroughs;
    assert.strictEqual(walkthroughs.length, 1);
    const steps = walkthroughs[0].steps;
    assert.deepStrictEqual(
      steps.map((s) => s.id),
      ['installGphoto2', 'detectCamera', 'trySimulator', 'openPanel', 'firstCapture', 'cleanup'],
    );
    const ignore = fs.readFileSync(path.join(ext.extensionPath, '.vscodeignore'), 'utf8');
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const step of steps) {
      const media = step.media.markdown ?? step.media.image ?? '';
      assert.ok(fs.statSync(path.join(ext.extensionPath, media)).size > 0, `${step.id}: ${media} exists`);
      assert.ok(ignore.includes(`!media/walkthrough/*${path.extname(media)}`), `${media} is packaged`);
      for (const event of step.completionEvents ?? []) {
        const command = /^onCommand:(.+)$/.exec(event)?.[1];
        if (command) assert.ok(registered.has(command), `${step.id}: ${command} is registered`);
      }
    }
  });

  it('opens from "Camera: Getting Started" with its title and six steps, and opening the panel ticks its step', async function () {
    if (!queryServiceAvailable()) {
      console.log('    (skipped: reading the page needs the code-server runner, `npm run test:extension`)');
      this.skip();
    }
    await run('openWalkthrough');
    const titles = await waitForWorkbench(
      'the walkthrough with its steps',
      { selector: '.gettingStartedContainer button.getting-started-step .step-title', scope: 'workbench' },
      (found) => (found.length >= 6 ? found.map((f) => f.text.trim()) : undefined),
    );
    assert.deepStrictEqual(titles, [
      'Install gphoto2',
      'Connect and detect your camera',
      'No camera at hand? Try the simulator',
      'Open the Camera panel',
      'Take your first frame',
      'What Cleanup does',
    ]);
    await waitForWorkbench(
      'the walkthrough title',
      { selector: '.gettingStartedContainer h2', scope: 'workbench' },
      (found) => (found.some((f) => f.visible && f.text.includes('Get Started with Camera Tether')) ? true : undefined),
    );
    // As a user does it: open the step, click its button (the workbench runs the command and ticks the step).
    const step = '.gettingStartedContainer button.getting-started-step[data-step-id$="#openPanel"]';
    await queryWorkbench({ selector: step, scope: 'workbench', click: true });
    await waitForWorkbench(
      'the step\'s "Open Preview Panel" button',
      {
        selector: '[x-step-description-for$="#openPanel"] .button-container .monaco-button',
        scope: 'workbench',
        click: true,
      },
      (found) => (found.some((f) => f.visible && f.text.includes('Open Preview Panel')) ? true : undefined),
    );
    await until('the panel to open', async () =>
      (await run<{ panel: { open: boolean } }>('getState')).panel.open ? true : undefined,
    );
    // A fresh walkthrough page (the panel may have opened in front of the old one): progress is kept by VS Code.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await run('openWalkthrough');
    await waitForWorkbench(
      'the "Open the Camera panel" step ticked',
      { selector: step, scope: 'workbench' },
      (found) => (found[0]?.attributes['aria-checked'] === 'true' ? true : undefined),
    );
    // For the README: the walkthrough alone, its first step open with its markdown (install commands) beside.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await run('openWalkthrough');
    await waitForWorkbench(
      'the install step open',
      {
        selector: '.gettingStartedContainer button.getting-started-step[data-step-id$="#installGphoto2"]',
        scope: 'workbench',
        click: true,
      },
      (found) => (found[0]?.attributes['aria-expanded'] === 'true' ? true : undefined),
    );
    // The walkthrough renders the markdown in a webview of its own (a new one, through code-server's
    // webview service worker): its first load has taken close to 30 s on a busy machine.
    await waitForWorkbench(
      "the step's markdown rendered",
      { selector: 'h1', scope: 'webviews' },
      (found) => (found.some((f) => f.visible && f.text.trim() === 'Install gphoto2') ? true : undefined),
      60_000,
    );
    if (screenshotServiceAvailable()) await takeScreenshot('walkthrough');
  });
});
