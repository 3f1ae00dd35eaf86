/**
 * fgets() on stdin for gphoto2's overwrite questions, read asynchronously so signals still get
 * handled while waiting (a blocking read would make even a second SIGINT wait for input).
 * Resolves null at end of input, like fgets returning NULL.
 */

let buffered = '';
let ended = false;
let started = false;
const waiting: Array<(line: string | null) => void> = [];

function pump(): void {
  while (waiting.length > 0) {
    const nl = buffered.indexOf('\n');
    if (nl >= 0) {
      const line = buffered.slice(0, nl + 1);
      buffered = buffered.slice(nl + 1);
      (waiting.shift() as (line: string | null) => void)(line);
    } else if (ended) {
      const rest = buffered;
      buffered = '';
      (waiting.shift() as (line: string | null) => void)(rest === '' ? null : rest);
    } else {
      return;
    }
  }
  if (!ended) process.stdin.pause();
}

function start(): void {
  if (started) return;
  started = true;
  process.stdin.setEncoding('latin1');
  process.stdin.on('data', (chunk: string) => {
    buffered += chunk;
    pump();
  });
  const finish = (): void => {
    ended = true;
    pump();
  };
  process.stdin.on('end', finish);
  process.stdin.on('error', finish);
}

export function readLine(): Promise<string | null> {
  start();
  return new Promise((resolve) => {
    waiting.push(resolve);
    process.stdin.resume();
    pump();
  });
}
