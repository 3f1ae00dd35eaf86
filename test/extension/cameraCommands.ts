/** What the extension-host suites share: running Camera Tether's commands, steering the simulator, waiting. */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { stateDir } from '../../src/simulator/camera/simConfig';

/** Runs `cameraTether.<command>` as another extension or a keybinding would. */
export function run<T>(command: string, ...args: unknown[]): Promise<T> {
  return Promise.resolve(vscode.commands.executeCommand<T>(`cameraTether.${command}`, ...args));
}

/** The simulator the extension runs reads this config at every start. */
export function simulatorConfig(config: Record<string, unknown>): void {
  const dir = stateDir(process.env);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
}

/** Polls `probe` until it returns a value, with a deadline (never a fixed sleep). */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
