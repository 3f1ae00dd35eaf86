// Bundles the extension, the camera simulator and (with --tests) the test suites.
// Everything is bundled to CommonJS: execa is ESM-only, and VS Code loads extensions with require().
const esbuild = require('esbuild');
const fs = require('fs');
const path = require('path');
const { createWatchReporter } = require('./esbuild-watch-reporter');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

/** Keeps `import.meta.url` meaningful after ESM dependencies are turned into CommonJS. */
const importMetaShim = {
  define: { 'import.meta.url': '__cameraTetherImportMetaUrl' },
  banner: { js: "const __cameraTetherImportMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
  ...importMetaShim,
};

function filesUnder(dir, suffix) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => f.endsWith(suffix));
}

/**
 * The panel's analysis worker runs from a blob: URL (a webview may not start a worker from its
 * resource URIs), so media/analysisWorker.ts is bundled on its own and imported as text.
 */
const analysisWorkerSource = {
  name: 'analysis-worker-source',
  setup(build) {
    build.onResolve({ filter: /^analysis-worker-source$/ }, () => ({
      path: 'analysis-worker',
      namespace: 'worker-source',
    }));
    build.onLoad({ filter: /.*/, namespace: 'worker-source' }, async () => {
      const result = await esbuild.build({
        bundle: true,
        platform: 'browser',
        target: 'es2022',
        format: 'iife',
        minify: production,
        write: false,
        metafile: true,
        logLevel: 'warning',
        entryPoints: ['media/analysisWorker.ts'],
      });
      return {
        contents: result.outputFiles[0].text,
        loader: 'text',
        watchFiles: Object.keys(result.metafile.inputs).map((f) => path.resolve(f)),
      };
    });
  },
};

const builds = [
  { ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...common, entryPoints: ['src/simulator/main.ts'], outfile: 'dist/simulator.js' },
  // Thumbnails are decoded in worker threads, off the extension host's main thread.
  { ...common, entryPoints: ['src/capture/thumbnailWorker.ts'], outfile: 'dist/thumbnailWorker.js' },
  // The preview panel's script runs in the webview (a browser), not in Node.
  {
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    sourcemap: production ? false : 'linked',
    minify: production,
    logLevel: 'warning',
    entryPoints: ['media/panel.ts'],
    outfile: 'dist/webview/panel.js',
    plugins: [analysisWorkerSource],
  },
];

if (tests) {
  const entryPoints = [
    ...filesUnder('test/unit', '.test.ts'),
    ...filesUnder('test/integration', '.test.ts'),
    ...filesUnder('test/extension', '.ts').filter((f) => !f.endsWith('.d.ts')),
    ...filesUnder('test/support', '.ts'),
    ...filesUnder('test/demo', '.ts'),
    ...filesUnder('bench', '.ts'),
  ];
  builds.push({
    ...common,
    sourcemap: 'inline',
    minify: false,
    entryPoints,
    outdir: 'out',
    outbase: '.',
    // The extension host provides vscode; mocha and @vscode/test-electron load from node_modules as
    // they are. playwright-core and code-server are never imported: test/host loads them at run time
    // from the test host in .vscode-test/host (createRequire there).
    external: ['vscode', 'mocha', '@vscode/test-electron', 'esbuild'],
  });
}

async function main() {
  if (watch) {
    const reporter = createWatchReporter();
    const contexts = await Promise.all(
      builds.map((b) => esbuild.context({ ...b, plugins: [...(b.plugins ?? []), reporter] })),
    );
    await Promise.all(contexts.map((c) => c.watch()));
    console.log('[esbuild] watching');
    return;
  }
  await Promise.all(builds.map((b) => esbuild.build(b)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
