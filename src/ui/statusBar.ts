/**
 * The status bar item: camera icon and next frame number (click = capture), a spinner and the job
 * name while busy, the error colour and message after a failure. Its tooltip names the camera, its
 * connection state, the roll and the next frame.
 */
import * as vscode from 'vscode';
import type { SessionSnapshot, TetherSession } from '../session/tetherSession';
import { cameraLabel, connectionState } from './cameraLabel';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly listener: (s: SessionSnapshot) => void;

  constructor(private readonly session: TetherSession) {
    this.item = vscode.window.createStatusBarItem('cameraTether.status', vscode.StatusBarAlignment.Left, 100);
    this.item.name = 'Camera Tether';
    this.item.command = 'cameraTether.capture';
    this.listener = (s) => this.render(s);
    session.on('changed', this.listener);
    this.render(session.snapshot());
    this.item.show();
  }

  /** What the item shows now (for getState: scripts and tests cannot read the status bar). */
  get view(): { text: string; error: boolean; tooltip: string } {
    const tip = this.item.tooltip;
    return {
      text: this.item.text,
      error: this.item.backgroundColor !== undefined,
      tooltip: typeof tip === 'string' ? tip : (tip?.value ?? ''),
    };
  }

  private render(s: SessionSnapshot): void {
    const sim = s.camera.simulated ? ' (simulated)' : '';
    if (s.state === 'busy') {
      this.item.text = `$(sync~spin) ${s.job ?? 'Working'}${s.queued > 0 ? ` +${s.queued}` : ''}`;
      this.item.backgroundColor = undefined;
    } else if (s.state === 'error') {
      this.item.text = `$(error) Frame ${s.nextFrame}`;
      this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (s.tethering.wanted) {
      // Tethered: the body's shutter adds frames; the item says so (paused for a job: still on).
      this.item.text = `$(plug) Frame ${s.nextFrame} · tethered${sim}`;
      this.item.backgroundColor = undefined;
    } else {
      this.item.text = `$(device-camera) Frame ${s.nextFrame}${sim}`;
      this.item.backgroundColor = undefined;
    }
    const camera = cameraLabel(s.camera);
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**Camera Tether**\n\n`);
    tip.appendMarkdown(
      `Camera: ${escapeMd(camera.name)}${camera.port ? ` on ${escapeMd(camera.port)}` : ''}${sim}\n\n`,
    );
    tip.appendMarkdown(`Connection: ${escapeMd(connectionState(s))}\n\n`);
    tip.appendMarkdown(`Roll: ${escapeMd(s.roll)} (${s.captured} captured)\n\n`);
    tip.appendMarkdown(`Next frame: ${s.nextFrame}\n\n`);
    if (s.tethering.wanted)
      tip.appendMarkdown(`Tethered mode: ${s.tethering.exposures} picture(s) from the camera’s shutter\n\n`);
    if (s.exposureLock)
      tip.appendMarkdown(
        `Exposure locked for this roll: ${escapeMd(s.exposureLock.values.map((v) => v.value).join(' · '))}${s.exposureLock.lastCheck && !s.exposureLock.lastCheck.ok ? ' (the last check failed: see the log)' : ''}\n\n`,
      );
    tip.appendMarkdown(`Output: ${escapeMd(s.folder)}\n\nClick to capture.`);
    this.item.tooltip = tip;
    this.item.accessibilityInformation = {
      label: `Camera Tether: ${s.state === 'busy' ? s.job : `next frame ${s.nextFrame}`}${s.error ? `, error: ${s.error.message}` : ''}`,
      role: 'button',
    };
  }

  dispose(): void {
    this.session.off('changed', this.listener);
    this.item.dispose();
  }
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
