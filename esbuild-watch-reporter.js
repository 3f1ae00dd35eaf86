// Reports watch rebuilds in the format the "watch" task's problem matcher reads (.vscode/tasks.json):
// "[watch] build started" when the first bundle starts rebuilding, each error as
// "✘ [ERROR] message" followed by "    file:line:column:", and "[watch] build finished" once every
// bundle has settled, so F5 waits for all of them (extension, simulator, webview) before launching.

/** One reporter shared by all bundles of a watch session (esbuild runs setup once per bundle). */
function createWatchReporter(log = console.log) {
  let bundles = 0;
  /** Bundles that have ended their first build. */
  const built = new Set();
  let running = 0;
  /** "started" was printed and "finished" not yet. */
  let announced = false;
  return {
    name: 'watch-reporter',
    setup(build) {
      const bundle = bundles++;
      build.onStart(() => {
        running++;
        if (!announced) {
          announced = true;
          log('[watch] build started');
        }
      });
      build.onEnd((result) => {
        for (const { text, location } of result.errors) {
          log(`✘ [ERROR] ${text}`);
          if (location) log(`    ${location.file}:${location.line}:${location.column}:`);
        }
        running--;
        built.add(bundle);
        // The first round ends only once every bundle has built: a small bundle can finish before a
        // large one has even started, and "finished" then would let F5 launch a half-built extension.
        if (running === 0 && built.size === bundles && announced) {
          announced = false;
          log('[watch] build finished');
        }
      });
    },
  };
}

module.exports = { createWatchReporter };
