// Runs the same extension-host tests in desktop VS Code through @vscode/test-electron, for machines
// that can download VS Code (this one cannot; use runInCodeServer there). Same test index, same
// temp workspace and settings, same CAMERA_TETHER_* pass-through. No screenshot service here.
//
// Environment (besides those of runInCodeServer that apply):
//   CAMERA_TETHER_TEST_VSCODE_VERSION  VS Code version to download (default 1.100.3, the engines floor's match)
//   CAMERA_TETHER_TEST_VSCODE_PATH     an installed VS Code executable instead of a download
import * as path from 'path';
import { TestRunFailedError, runTests } from '@vscode/test-electron';
import {
  assertBuilt,
  createWorkspace,
  makeTempRoot,
  projectPaths,
  removeTempRoot,
  testEnv,
  workspaceSettings,
} from './workspace';

async function main(): Promise<number> {
  const paths = projectPaths();
  assertBuilt(paths);
  const tempRoot = makeTempRoot('camera-tether-electron-');
  try {
    const settings = workspaceSettings();
    const workspace = createWorkspace(tempRoot, settings);
    console.log(`[runner] workspace ${workspace} with settings ${JSON.stringify(settings)}`);
    const executable = process.env.CAMERA_TETHER_TEST_VSCODE_PATH;
    const code = await runTests({
      ...(executable
        ? { vscodeExecutablePath: executable }
        : { version: process.env.CAMERA_TETHER_TEST_VSCODE_VERSION ?? '1.100.3' }),
      extensionDevelopmentPath: paths.extension,
      extensionTestsPath: paths.testIndex,
      extensionTestsEnv: testEnv(workspace, paths.results),
      launchArgs: [
        workspace,
        '--user-data-dir',
        path.join(tempRoot, 'user-data'),
        '--extensions-dir',
        path.join(tempRoot, 'extensions'),
        '--disable-workspace-trust',
        '--disable-telemetry',
        '--skip-welcome',
        '--skip-release-notes',
        '--disable-updates',
      ],
    });
    return code;
  } finally {
    removeTempRoot(tempRoot);
  }
}

main().then(
  (code) => {
    console.log(code === 0 ? '[runner] extension tests passed' : `[runner] extension tests FAILED (exit code ${code})`);
    process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof TestRunFailedError) {
      console.log(`[runner] extension tests FAILED (${err.message})`);
      process.exit(err.code !== undefined && err.code !== 0 ? err.code : 1);
    }
    console.error(`[runner] FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
