/**
 * The VS Code development loop in .vscode/: F5's tasks exist and point at real scripts, and the watch
 * task's problem matcher really reads what esbuild-watch-reporter.js prints (an error lands in the
 * Problems view at its file, line and column; F5 waits for "build finished").
 */
import * as assert from 'assert';
import * as esbuild from 'esbuild';
import { promises as fs, readFileSync } from 'fs';
import * as path from 'path';
import { tempDir } from '../support/simulatorHarness';

/** The project folder: the first one above this (bundled) file whose package.json is ours. */
const ROOT = ((): string => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if (
        (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'camera-tether'
      )
        return dir;
    } catch {
      // not here
    }
  }
  throw new Error(`the project's package.json is not above ${__dirname}`);
})();
const readJson = <T>(rel: string): T => JSON.parse(readFileSync(path.join(ROOT, rel), 'utf8')) as T;

interface Task {
  label: string;
  type?: string;
  script?: string;
  dependsOn?: string[];
  isBackground?: boolean;
  group?: string | { kind: string; isDefault?: boolean };
  problemMatcher?: unknown;
}
interface Matcher {
  pattern: { regexp: string; message?: number; file?: number; line?: number; column?: number }[];
  background: { beginsPattern: string; endsPattern: string };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createWatchReporter } = require(path.join(ROOT, 'esbuild-watch-reporter.js')) as {
  createWatchReporter: (log: (line: string) => void) => esbuild.Plugin;
};

describe('the VS Code development loop (.vscode/)', () => {
  const tasks = readJson<{ tasks: Task[] }>('.vscode/tasks.json').tasks;
  const launch = readJson<{ configurations: { name: string; preLaunchTask?: string; program?: string }[] }>(
    '.vscode/launch.json',
  ).configurations;
  const scripts = readJson<{ scripts: Record<string, string> }>('package.json').scripts;
  const byLabel = new Map(tasks.map((t) => [t.label, t]));
  const watchMatcher = byLabel.get('npm: watch')?.problemMatcher as Matcher;

  it('"Run Extension" builds with the default build task, which starts both watchers; every npm task names a real script', () => {
    const run = launch.find((c) => c.name === 'Run Extension');
    assert.strictEqual(run?.preLaunchTask, '${defaultBuildTask}');
    const defaults = tasks.filter((t) => typeof t.group === 'object' && t.group.kind === 'build' && t.group.isDefault);
    assert.deepStrictEqual(
      defaults.map((t) => t.label),
      ['watch'],
    );
    for (const dep of defaults[0].dependsOn ?? []) {
      const t = byLabel.get(dep);
      assert.ok(t?.isBackground, `${dep} is a background task (F5 waits for its end pattern)`);
    }
    for (const t of tasks.filter((x) => x.type === 'npm')) assert.ok(scripts[t.script ?? ''], `script ${t.script}`);
  });

  it('"Extension Tests" runs test:electron\'s runner after building the tests', () => {
    const tests = launch.find((c) => c.name === 'Extension Tests');
    assert.ok(tests?.preLaunchTask && byLabel.has(tests.preLaunchTask), 'its pre-launch task exists');
    assert.strictEqual(scripts[byLabel.get(tests.preLaunchTask)?.script ?? ''], 'node esbuild.js --tests');
    assert.strictEqual(tests.program, '${workspaceFolder}/out/test/extension/runInElectron.js');
    assert.match(scripts['test:electron'], /out\/test\/extension\/runInElectron\.js/);
  });

  it('the first watch round is finished only when every bundle has built, even one that starts after another ended', () => {
    const lines: string[] = [];
    const reporter = createWatchReporter((l) => lines.push(l));
    type Hooks = { start?: () => void; end?: (r: { errors: [] }) => void };
    const bundles: Hooks[] = [{}, {}];
    for (const hooks of bundles)
      void reporter.setup({
        onStart: (f: () => void) => (hooks.start = f),
        onEnd: (f: (r: { errors: [] }) => void) => (hooks.end = f),
      } as unknown as esbuild.PluginBuild);
    const [small, large] = bundles;
    small.start?.();
    small.end?.({ errors: [] });
    assert.deepStrictEqual(lines, ['[watch] build started'], 'not finished while the large bundle has not built');
    large.start?.();
    large.end?.({ errors: [] });
    assert.deepStrictEqual(lines, ['[watch] build started', '[watch] build finished']);
    // Later rounds (a file changed): each settles as before.
    small.start?.();
    small.end?.({ errors: [] });
    assert.deepStrictEqual(lines.slice(2), ['[watch] build started', '[watch] build finished']);
  });

  it('the watch problem matcher finds an esbuild error at its file, line and column, between started and finished', async () => {
    const dir = await tempDir('ct-devloop-');
    try {
      const good = path.join(dir, 'good.ts');
      const broken = path.join(dir, 'broken.ts');
      await fs.writeFile(good, 'export const ok = 1;\n');
      await fs.writeFile(broken, 'export const a = 1;\nconst b = ;\n');
      const lines: string[] = [];
      const reporter = createWatchReporter((l) => lines.push(l));
      // Two bundles sharing one reporter, as in `npm run watch`: one start line, one finish line.
      const contexts = await Promise.all(
        [good, broken].map((entry) =>
          esbuild.context({
            entryPoints: [entry],
            outdir: path.join(dir, 'out', path.basename(entry)),
            bundle: true,
            logLevel: 'silent',
            plugins: [reporter],
          }),
        ),
      );
      try {
        await Promise.all(contexts.map((c) => c.rebuild().catch(() => undefined)));
      } finally {
        await Promise.all(contexts.map((c) => c.dispose()));
      }
      const re = (s: string): RegExp => new RegExp(s);
      assert.strictEqual(
        lines.filter((l) => re(watchMatcher.background.beginsPattern).test(l)).length,
        1,
        lines.join('\n'),
      );
      assert.ok(re(watchMatcher.background.endsPattern).test(lines[lines.length - 1]), lines.join('\n'));
      const [first, second] = watchMatcher.pattern;
      const at = lines.findIndex((l) => re(first.regexp).test(l));
      assert.ok(at > 0, `an error line: ${lines.join('\n')}`);
      const message = re(first.regexp).exec(lines[at])?.[first.message ?? 1];
      const where = re(second.regexp).exec(lines[at + 1]);
      assert.ok(message && /Unexpected ";"/.test(message), message);
      assert.ok(where, lines[at + 1]);
      assert.strictEqual(path.resolve(dir, where[second.file ?? 1]), broken);
      assert.strictEqual(Number(where[second.line ?? 2]), 2);
      assert.strictEqual(Number(where[second.column ?? 3]), 10);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
