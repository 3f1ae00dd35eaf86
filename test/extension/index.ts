// The extension-host test index. VS Code (code-server's workbench or @vscode/test-electron) loads
// this file inside the extension host and awaits run(); a rejection marks the run as failed.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

/** Per-test timeout: generous, the extension host shares the machine with a browser and code-server. */
const TEST_TIMEOUT_MS = 60_000;

function suiteFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => f.endsWith('.test.js'))
    .sort((a, b) => Number(isTeardown(a)) - Number(isTeardown(b)) || a.localeCompare(b));
}

/** Suites under teardown/ end the extension (deactivate it), so they run after all others. */
function isTeardown(file: string): boolean {
  return file.split(path.sep).includes('teardown');
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: TEST_TIMEOUT_MS, color: false, reporter: 'spec' });
  // This file is out/test/extension/index.js; the suites are compiled next to it.
  // `npm run bench:webview` runs the benchmark suites in bench/ through the same host instead.
  const folder = path.join(__dirname, process.env.CAMERA_TETHER_TEST_SUITE === 'bench' ? 'bench' : 'suite');
  // CAMERA_TETHER_TEST_FILES=liveView,commands runs only the suites whose file names contain one of these.
  const only = (process.env.CAMERA_TETHER_TEST_FILES ?? '').split(',').filter((s) => s.trim() !== '');
  const files = suiteFiles(folder).filter(
    (f) => only.length === 0 || only.some((o) => path.basename(f).includes(o.trim())),
  );
  if (files.length === 0) {
    return Promise.reject(new Error(`no test files (*.test.js) under ${folder}`));
  }
  for (const file of files) mocha.addFile(file);

  return new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats;
        const passed = stats?.passes ?? 0;
        const failed = stats?.failures ?? failures;
        const skipped = stats?.pending ?? 0;
        // The CI reads this line; it must stand alone.
        console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
        if (failures > 0) reject(new Error(`${failures} extension test(s) failed`));
        else resolve();
      });
    } catch (err) {
      console.error(err);
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
