import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import { ProcessReaper } from '../../src/camera/processReaper';
import { LinuxProcessTable, parsePsOutput, PsProcessTable } from '../../src/camera/processTable';
import { ProcessRunner } from '../../src/camera/processRunner';

/** A process whose exact name is `name` (Node sets /proc/PID/comm from process.title). */
function startNamed(name: string, ignoreTerm = false, asUser?: string): ChildProcess {
  const script = `process.title=${JSON.stringify(name)};${ignoreTerm ? "process.on('SIGTERM',()=>{});" : ''}setInterval(()=>{},1000);console.log('ready')`;
  const argv = asUser
    ? ['runuser', '-u', asUser, '--', process.execPath, '-e', script]
    : [process.execPath, '-e', script];
  // Its own process group, so the afterEach can kill runuser AND the process it started as the user.
  return spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
}

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`exited early: ${code}`)));
  });
}

const unique = () => `ct-${process.pid % 1000}-${Math.random().toString(36).slice(2, 7)}`;

describe('ProcessReaper (real processes)', () => {
  const children: ChildProcess[] = [];
  const names: string[] = [];
  afterEach(async () => {
    // runuser may start the user's process in a session of its own: find it by name as well.
    for (const p of await new LinuxProcessTable().list(new Set(names.splice(0)))) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const c of children) {
      try {
        if (c.pid !== undefined) process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    children.length = 0;
  });

  function reaper(names: string[], termTimeoutMs = 2000): ProcessReaper {
    return new ProcessReaper(new LinuxProcessTable(), { names, termTimeoutMs, killTimeoutMs: 2000, settleMs: 0 });
  }

  it('finds nothing and reports it quickly when nothing holds the camera', async () => {
    const report = await reaper([unique()]).cleanup();
    assert.deepStrictEqual(report.found, []);
    assert.deepStrictEqual(report.ended, []);
  });

  it('terminates a stray by exact name and waits until it is gone', async () => {
    const name = unique();
    const c = startNamed(name);
    children.push(c);
    await ready(c);
    const report = await reaper([name]).cleanup();
    assert.deepStrictEqual(report.ended, [{ pid: c.pid, name, how: 'terminated' }]);
    assert.strictEqual((await new LinuxProcessTable().list(new Set([name]))).length, 0, 'gone when cleanup returns');
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const name = unique();
    const c = startNamed(name, true);
    children.push(c);
    await ready(c);
    const report = await reaper([name], 150).cleanup();
    assert.deepStrictEqual(
      report.ended.map((e) => e.how),
      ['killed'],
    );
    assert.strictEqual((await new LinuxProcessTable().list(new Set([name]))).length, 0);
  });

  it('matches exact names only: a longer or shorter name is left alone', async () => {
    const name = unique();
    const longer = startNamed(`${name}x`);
    const shorter = startNamed(name.slice(0, -1));
    children.push(longer, shorter);
    await Promise.all([ready(longer), ready(shorter)]);
    const report = await reaper([name]).cleanup();
    assert.deepStrictEqual(report.found, []);
    assert.strictEqual(longer.exitCode, null);
    assert.strictEqual(shorter.exitCode, null);
  });

  it('matches names longer than the kernel keeps (15 characters) through argv[0]', async () => {
    const name = `${unique()}-volume-monitor`; // > 15 chars, like gvfs-gphoto2-volume-monitor
    const c = startNamed(name);
    children.push(c);
    await ready(c);
    const report = await reaper([name]).cleanup();
    assert.deepStrictEqual(
      report.found.map((f) => f.pid),
      [c.pid],
    );
  });

  it('never touches excluded pids (our own tracked child)', async () => {
    const name = unique();
    const c = startNamed(name);
    children.push(c);
    await ready(c);
    const report = await reaper([name]).cleanup({ exclude: [c.pid as number] });
    assert.deepStrictEqual(report.found, []);
    assert.strictEqual(c.exitCode, null);
  });

  it('never touches processes of other users', async function () {
    if (process.getuid?.() !== 0) this.skip(); // needs root to start a process as another user
    const name = unique();
    names.push(name);
    const c = startNamed(name, false, 'nobody');
    children.push(c);
    await ready(c);
    assert.strictEqual(
      (await new LinuxProcessTable().list(new Set([name]))).length,
      1,
      "the other user's process is visible",
    );
    const report = await reaper([name]).cleanup();
    assert.deepStrictEqual(report.found, []);
    assert.strictEqual((await new LinuxProcessTable().list(new Set([name]))).length, 1, 'and still alive');
  });

  it('the ps-based table (macOS path) finds the same process', async () => {
    const name = unique();
    const c = startNamed(name);
    children.push(c);
    await ready(c);
    const runner = new ProcessRunner();
    const found = await new PsProcessTable(runner).list(new Set([name]));
    assert.deepStrictEqual(
      found.map((p) => p.pid),
      [c.pid],
    );
    assert.strictEqual(await new PsProcessTable(runner).isAlive({ pid: c.pid as number }), true);
  });

  it('parses ps output with start times, paths and zombies', () => {
    const out =
      '  101     1   501 Ss   Mon Dec  1 10:00:00 2026 /System/Library/Image Capture/Support/PTPCamera.app/Contents/MacOS/PTPCamera\n  102     1   501 Z    Mon Dec  1 10:00:01 2026 gphoto2\n  103   101   501 S    Tue Dec  2 09:59:59 2026 ptpcamerad\n';
    assert.deepStrictEqual(
      parsePsOutput(out).map((p) => [p.pid, p.name, p.startTime]),
      [
        [101, 'PTPCamera', 'Mon Dec 1 10:00:00 2026'],
        [103, 'ptpcamerad', 'Tue Dec 2 09:59:59 2026'],
      ],
    );
  });

  it('the ps-based table tells a reused pid by its start time (lstart)', async () => {
    const name = unique();
    const c = startNamed(name);
    children.push(c);
    await ready(c);
    const table = new PsProcessTable(new ProcessRunner());
    const [info] = await table.list(new Set([name]));
    assert.ok(info.startTime, 'ps reports a start time');
    assert.strictEqual(await table.isAlive(info), true);
    assert.strictEqual(
      await table.isAlive({ ...info, startTime: 'Thu Jan  1 00:00:00 1970' }),
      false,
      'another start time is another process',
    );
  });
});
