import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';

const EXTENSION_ID = 'camera-tether.camera-tether';
const SIMULATOR_MODEL = 'Camera Tether Simulator';

interface DetectedCamera {
  readonly model: string;
  readonly port: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The command ids in package.json `contributes.commands`. */
function contributedCommands(extensionPath: string): string[] {
  const pkg: unknown = JSON.parse(fs.readFileSync(path.join(extensionPath, 'package.json'), 'utf8'));
  assert.ok(isObject(pkg), 'package.json is an object');
  const contributes = pkg.contributes;
  assert.ok(isObject(contributes), 'package.json has contributes');
  const commands = contributes.commands;
  assert.ok(Array.isArray(commands), 'package.json has contributes.commands');
  return commands.map((entry: unknown, i) => {
    assert.ok(isObject(entry) && typeof entry.command === 'string', `contributes.commands[${i}].command is a string`);
    return entry.command;
  });
}

function cameraList(result: unknown): DetectedCamera[] {
  assert.ok(isObject(result), `detectCamera returns an object, got ${JSON.stringify(result)}`);
  const cameras = result.cameras;
  assert.ok(Array.isArray(cameras), `detectCamera returns {cameras: [...]}, got ${JSON.stringify(result)}`);
  return cameras.map((camera: unknown, i) => {
    assert.ok(
      isObject(camera) && typeof camera.model === 'string' && typeof camera.port === 'string',
      `cameras[${i}] is {model: string, port: string}, got ${JSON.stringify(camera)}`,
    );
    return { model: camera.model, port: camera.port };
  });
}

describe('Activation', () => {
  let extension: vscode.Extension<unknown>;

  before(async () => {
    const found = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(found, `extension ${EXTENSION_ID} is installed in the test host`);
    extension = found;
    await extension.activate();
  });

  it('opens the test workspace with the simulator selected', () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder is open');
    const expected = process.env.CAMERA_TETHER_TEST_WORKSPACE;
    if (expected) assert.strictEqual(path.resolve(folder.uri.fsPath), path.resolve(expected));
    assert.strictEqual(vscode.workspace.getConfiguration('cameraTether').get('source'), 'simulator');
  });

  it('activates', () => {
    assert.strictEqual(extension.isActive, true);
  });

  it('registers every command in package.json contributes.commands', async () => {
    const contributed = contributedCommands(extension.extensionPath);
    assert.ok(contributed.length > 0, 'package.json contributes at least one command');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepStrictEqual(missing, [], `commands contributed but not registered: ${missing.join(', ')}`);
  });

  it('detects the simulated camera', async () => {
    const result: unknown = await vscode.commands.executeCommand('cameraTether.detectCamera');
    const cameras = cameraList(result);
    assert.ok(cameras.length > 0, 'at least one camera is detected');
    assert.ok(
      cameras.some((camera) => camera.model === SIMULATOR_MODEL),
      `a camera with model "${SIMULATOR_MODEL}" is detected, got ${JSON.stringify(cameras)}`,
    );
  });
});
