/** The analysis worker's bundled script as text (esbuild.js builds media/analysisWorker.ts into it). */
declare module 'analysis-worker-source' {
  const source: string;
  export default source;
}
