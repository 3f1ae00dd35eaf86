// `npm test`: every test layer in order, each one even when an earlier one failed, then one summary.
//
//   typecheck, lint, build (node esbuild.js --tests), unit+integration (mocha), test host (installs
//   code-server + playwright-core into .vscode-test/host on first use), host types (playwright.ts
//   against the installed playwright-core), extension host (code-server + chromium), demo.
//
// A layer that needs the build or the test host is not run when that failed (the summary says so).
// The layers' own `N passed, N failed[, N skipped]` lines are relayed as `[layer] N passed, ...`, and
// the last line is their sum, alone on its line: the one the workplace CI reads. A layer that failed
// without such a line (typecheck, lint, a runner that crashed) counts as 1 failed, so the sum never
// says 0 failed when the exit code is not 0. Exit code: 0 when everything passed, 1 otherwise, 130
// when interrupted. Plain Node, no shell: every process starts from an argument array.
'use strict';

const { spawn } = require('child_process');
const path = require('path');
const { TestHostError, ensureTestHost } = require('./host/ensure');

const ROOT = path.resolve(__dirname, '..');
const SUMMARY = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;
// Mocha's failures section: `  N failing`, then per failure `  N) suite`, title lines ending in `:`, the message.
const FAILING = /^\s*\d+ failing$/;
const FAILURE_START = /^\s{2}(\d+)\) (.*)$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** `npm run <script>` with the npm that started us (npm_execpath), else npm from PATH. */
function npm(script) {
  const cli = process.env.npm_execpath;
  const command =
    cli && /npm-cli\.[cm]?js$/.test(cli) ? [process.execPath, [cli, 'run', script]] : ['npm', ['run', script]];
  return { label: `npm run ${script}`, command };
}

const LAYERS = [
  { name: 'typecheck', ...npm('typecheck') },
  { name: 'lint', ...npm('lint') },
  { name: 'build', label: 'node esbuild.js --tests', command: [process.execPath, ['esbuild.js', '--tests']] },
  { name: 'unit+integration', ...npm('test:unit'), counts: true, needs: ['build'] },
  { name: 'test host', label: 'node test/host/ensure.js', install: true },
  { name: 'host types', ...npm('typecheck:host'), needs: ['test host'] },
  { name: 'extension host', ...npm('test:extension'), counts: true, needs: ['build', 'test host'] },
  { name: 'demo', ...npm('test:demo'), counts: true, needs: ['build', 'test host'] },
];

let interrupted = false;
process.on('SIGINT', () => {
  // The layer running now gets the same Ctrl-C (same process group); stop after it.
  if (interrupted) process.exit(130);
  interrupted = true;
});
process.on('SIGTERM', () => process.exit(143));

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Collects `N) suite › title: first line of the message` from mocha's failures section, so the summary
 * (the only part a CI log's tail may show) names what failed.
 */
function failureCollector() {
  const failures = [];
  let inSection = false;
  let current;
  return {
    failures,
    line(raw) {
      const text = raw.replace(ANSI, '');
      if (FAILING.test(text)) {
        inSection = true;
        return;
      }
      if (!inSection) return;
      const start = FAILURE_START.exec(text);
      if (start) {
        current = { title: [start[1] + ')', start[2].trim()], titleDone: false, message: '' };
        failures.push(current);
        return;
      }
      if (!current || current.message !== '' || text.trim() === '') return;
      if (!current.titleDone) {
        const part = text.trim();
        current.title.push(part.endsWith(':') ? part.slice(0, -1) : part);
        if (part.endsWith(':')) current.titleDone = true;
        return;
      }
      current.message = text.trim().slice(0, 300);
    },
  };
}

function describeFailure(f) {
  const [number, ...titles] = f.title;
  return `${number} ${titles.join(' › ')}${f.message ? `: ${f.message}` : ''}`;
}

/** Runs one layer's command, relaying its output; resolves with its exit status, last summary line and failures. */
function runCommand(name, [command, args]) {
  return new Promise((resolve) => {
    const env = { ...process.env };
    // Piped output is not a terminal: keep the colours when ours is one.
    if (process.stdout.isTTY && env.FORCE_COLOR === undefined && env.NO_COLOR === undefined) env.FORCE_COLOR = '1';
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let counts;
    let partial = '';
    const collector = failureCollector();
    const relay = (line) => {
      collector.line(line);
      const match = SUMMARY.exec(line.replace(ANSI, '').trim());
      if (match) {
        counts = { passed: Number(match[1]), failed: Number(match[2]), skipped: Number(match[3] || 0) };
        process.stdout.write(`[${name}] ${line.replace(ANSI, '').trim()}\n`);
      } else {
        process.stdout.write(`${line}\n`);
      }
    };
    child.stdout.on('data', (chunk) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop();
      for (const line of lines) relay(line);
    });
    child.once('error', (err) =>
      resolve({ code: null, why: `could not start ${command}: ${err.message}`, counts, failures: collector.failures }),
    );
    child.once('close', (code, signal) => {
      if (partial !== '') relay(partial);
      resolve({
        code,
        why: signal ? `killed by ${signal}` : `exit code ${code}`,
        counts,
        failures: collector.failures,
      });
    });
  });
}

async function runLayer(layer) {
  if (layer.install) {
    try {
      const { installed } = await ensureTestHost(ROOT);
      return { passed: true, text: installed ? 'installed' : 'up to date' };
    } catch (err) {
      console.error(err instanceof TestHostError ? err.message : err && err.stack ? err.stack : String(err));
      return { passed: false, text: 'FAILED (not installed)' };
    }
  }
  const { code, why, counts, failures } = await runCommand(layer.name, layer.command);
  if (!layer.counts) return { passed: code === 0, text: code === 0 ? 'passed' : `FAILED (${why})` };
  if (!counts) {
    return {
      passed: false,
      failures,
      text: code === 0 ? 'FAILED (no "N passed, N failed" line)' : `FAILED (${why}, no "N passed, N failed" line)`,
    };
  }
  const line = `${counts.passed} passed, ${counts.failed} failed${counts.skipped > 0 ? `, ${counts.skipped} skipped` : ''}`;
  if (code !== 0 && counts.failed === 0)
    return { passed: false, counts, failures, text: `${line}, but FAILED (${why})` };
  return { passed: code === 0 && counts.failed === 0, counts, failures, text: line };
}

async function main() {
  const results = [];
  const failedNames = new Set();
  for (const [index, layer] of LAYERS.entries()) {
    const blockedBy = (layer.needs || []).filter((n) => failedNames.has(n));
    if (interrupted || blockedBy.length > 0) {
      const why = interrupted ? 'interrupted' : `the ${blockedBy.join(' and the ')} failed`;
      console.log(`\n=== [${index + 1}/${LAYERS.length}] ${layer.name}: not run (${why})`);
      results.push({ layer, ran: false, passed: false, text: `not run (${why})` });
      failedNames.add(layer.name);
      continue;
    }
    console.log(`\n=== [${index + 1}/${LAYERS.length}] ${layer.name}: ${layer.label}`);
    const started = Date.now();
    const result = await runLayer(layer);
    result.text += ` in ${seconds(Date.now() - started)}`;
    console.log(`=== ${layer.name}: ${result.text}`);
    results.push({ layer, ran: true, ...result });
    if (!result.passed) failedNames.add(layer.name);
  }

  const total = { passed: 0, failed: 0, skipped: 0 };
  for (const r of results) {
    if (r.counts) {
      total.passed += r.counts.passed;
      total.failed += r.counts.failed;
      total.skipped += r.counts.skipped;
    }
    // A failure the counts do not show (a check layer, a crash, a non-zero exit) counts as one.
    if (r.ran && !r.passed && (!r.counts || r.counts.failed === 0)) total.failed += 1;
  }
  const width = Math.max(...LAYERS.map((l) => l.name.length));
  console.log('\n=== Summary');
  for (const r of results) {
    console.log(`  ${r.layer.name.padEnd(width)}  ${r.text}`);
    for (const f of r.failures || []) console.log(`      ${describeFailure(f)}`);
  }
  const allPassed = results.every((r) => r.passed);
  const failedLayers = results.filter((r) => r.ran && !r.passed).map((r) => r.layer.name);
  const notRun = results.filter((r) => !r.ran).map((r) => r.layer.name);
  if (failedLayers.length > 0)
    console.log(`  FAILED: ${failedLayers.join(', ')}${notRun.length > 0 ? `; not run: ${notRun.join(', ')}` : ''}`);
  console.log(`${total.passed} passed, ${total.failed} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ''}`);
  return interrupted ? 130 : allPassed ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err && err.stack ? err.stack : String(err));
    process.exit(1);
  },
);
