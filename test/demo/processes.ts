// Process helpers shared by the demo launcher (demo.ts) and its test: free ports, process groups,
// and finding the processes a run started by a marker variable in their environment (Linux /proc).
import * as fs from 'fs';
import * as net from 'net';

/** Resolves with whether 127.0.0.1:port can be listened on now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not get a free port'));
      });
    });
  });
}

/** Resolves with whether something accepts connections on 127.0.0.1:port. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(stepMs);
  }
  return true;
}

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends a process group: SIGTERM, then SIGKILL if it is still there after `termWaitMs`. */
export async function killGroup(pgid: number, termWaitMs = 5_000): Promise<boolean> {
  for (const [signal, waitMs] of [
    ['SIGTERM', termWaitMs],
    ['SIGKILL', 3_000],
  ] as const) {
    if (!groupAlive(pgid)) return true;
    try {
      process.kill(-pgid, signal);
    } catch {
      return true;
    }
    if (await waitUntil(() => !groupAlive(pgid), waitMs)) return true;
  }
  return !groupAlive(pgid);
}

export interface MarkedProcess {
  readonly pid: number;
  readonly command: string;
}

function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Live processes (not this one, not zombies) whose environment holds `marker` (`KEY=VALUE`). */
export function markedProcesses(marker: string): MarkedProcess[] {
  const found: MarkedProcess[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (!environ.split('\0').includes(marker)) continue;
      if (isZombie(pid)) continue;
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid, command });
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found;
}

/** SIGKILLs the processes carrying `marker` (strays that left their process group) and waits for them. */
export async function killMarked(marker: string): Promise<MarkedProcess[]> {
  const strays = markedProcesses(marker);
  for (const { pid } of strays) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (strays.length > 0) await waitUntil(() => markedProcesses(marker).length === 0, 3_000);
  return strays;
}
