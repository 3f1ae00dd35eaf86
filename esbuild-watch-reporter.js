// Reports watch rebuilds in the format the "watch" task's problem matcher reads (.vscode/tasks.json):
// "[watch] build started" when the first bundle starts rebuilding, each error as
// "✘ [ERROR] message" followed by "    file:line:column:", and "[watch] build finished" once every
// bundle has settled, so F5 waits for all of them (extension, simulator, webview) before launching.

/** One reporter shared by all bundles of a watch session. */
function createWatchReporter(log = console.log) {
  let running = 0;
  return {
    name: 'watch-reporter',
    setup(build) {
      build.onStart(() => {
        if (running++ === 0) log('[watch] build started');
      });
      build.onEnd((result) => {
        for (const { text, location } of result.errors) {
          log(`✘ [ERROR] ${text}`);
          if (location) log(`    ${location.file}:${location.line}:${location.column}:`);
        }
        if (--running === 0) log('[watch] build finished');
      });
    },
  };
}

module.exports = { createWatchReporter };
