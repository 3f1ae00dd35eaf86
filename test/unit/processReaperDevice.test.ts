// Cleanup as precise as fuser (issue 9, item 6): with the port known, only processes that hold the
// camera's USB device node are candidates; this user's camera programs among them are stopped, every
// other holder is named and left running; a name on the deny list is never signalled; a pid is
// re-checked (start time) right before each signal. Real processes throughout: copies of
// /bin/sleep named darktable, gphoto2... (the kernel names a process after its executable's file)
// holding a plain file that stands for /dev/bus/usb/BBB/DDD, and the simulator holding its own.
// The only stubs are ProcessTables at the boundary, where a test needs a pid reused or a process
// listed under a name it must never be signalled by; those tests say so in their names.
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import { promises as fs, openSync, closeSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
// A namespace import: the same file must also build against the code before this change (to show
// the tests fail there), where most of these names do not exist yet.
import * as reap from '../../src/camera/processReaper';
import { LinuxProcessTable, type ProcessInfo, type ProcessTable } from '../../src/camera/processTable';
import { parseSettings, SettingError, type SettingsContext } from '../../src/config/settings';
import { SimulatorHarness } from '../support/simulatorHarness';

const { ProcessReaper, SIMULATOR_PROCESS_NAME } = reap;
type CleanupReport = reap.CleanupReport;

const ME = process.getuid?.() as number;
const isRoot = ME === 0;
const PORT = 'usb:001,004';
const SLEEP = ['/usr/bin/sleep', '/bin/sleep'].find((p) => spawnSync('test', ['-x', p]).status === 0) ?? '/bin/sleep';
const unique = (): string => `ct${process.pid % 1000}${Math.random().toString(36).slice(2, 6)}`; // < 15 characters

describe("ProcessReaper: holders of the camera's device node (real processes)", function () {
  this.timeout(30_000);
  const children: ChildProcess[] = [];
  const scratch: string[] = [];
  const sims: SimulatorHarness[] = [];

  before(function () {
    if (process.platform !== 'linux') {
      console.log('    (skipped: the device scan reads /proc, Linux only)');
      this.skip();
    }
  });

  afterEach(async () => {
    for (const c of children.splice(0)) {
      try {
        if (c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const s of sims.splice(0)) await s.dispose();
    for (const d of scratch.splice(0)) await fs.rm(d, { recursive: true, force: true });
  });

  async function tmp(prefix: string): Promise<string> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    await fs.chmod(dir, 0o755); // other users' processes in these tests must reach their programs
    scratch.push(dir);
    return dir;
  }

  /** A folder standing for /dev/bus/usb with the node 001/004 (a plain file). */
  async function fakeUsbRoot(): Promise<{ root: string; device: string }> {
    const root = await tmp('ct-usb-');
    const device = path.join(root, '001', '004');
    await fs.mkdir(path.dirname(device), { mode: 0o755 });
    await fs.writeFile(device, '', { mode: 0o644 });
    return { root, device };
  }

  /**
   * Starts a copy of /bin/sleep named `name`, optionally with `holding` open on fd 3 (as libusb
   * holds a device node), optionally as another user. Resolves once it runs under that name.
   */
  async function startProgram(name: string, opts: { holding?: string; uid?: number } = {}): Promise<ChildProcess> {
    const dir = await tmp('ct-prog-');
    const program = path.join(dir, name);
    await fs.copyFile(SLEEP, program);
    await fs.chmod(program, 0o755);
    const fd = opts.holding === undefined ? undefined : openSync(opts.holding, 'r');
    try {
      const c = spawn(program, ['1000'], {
        stdio: fd === undefined ? 'ignore' : ['ignore', 'ignore', 'ignore', fd],
        ...(opts.uid === undefined ? {} : { uid: opts.uid, gid: opts.uid }),
      });
      children.push(c);
      // libuv reports 'spawn' only after exec succeeded: the kernel already calls it `name`.
      await new Promise<void>((resolve, reject) => {
        c.once('spawn', resolve);
        c.once('error', reject);
      });
      return c;
    } finally {
      if (fd !== undefined) closeSync(fd); // the child keeps its own copy
    }
  }

  function reaper(
    names: string[],
    port: string | undefined,
    root: string | undefined,
    table: ProcessTable = new LinuxProcessTable(),
  ): reap.ProcessReaper {
    return new ProcessReaper(table, {
      names,
      termTimeoutMs: 2000,
      killTimeoutMs: 2000,
      settleMs: 0,
      port,
      usbDeviceRoot: root,
    } as reap.ReaperOptions);
  }

  /** Still running: cleanup waits for whatever it signalled to be gone, so a signalled process reads as dead here. */
  async function running(c: ChildProcess): Promise<boolean> {
    return (
      c.exitCode === null && c.signalCode === null && (await new LinuxProcessTable().isAlive({ pid: c.pid as number }))
    );
  }

  async function exited(c: ChildProcess, timeoutMs = 5000): Promise<boolean> {
    if (c.exitCode !== null || c.signalCode !== null) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      c.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Polls the device scan until `pid` holds `device` (a simulator opens it once it claims the camera). */
  async function untilHolding(device: string, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
    const table = new LinuxProcessTable();
    const pid = child.pid as number;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        // Seen on a shared machine: another test run's cleanup by NAME (the old way) ended it.
        assert.fail(
          `pid ${pid} ended (${child.exitCode ?? child.signalCode}) before it held ${device}; did another test run stop every gphoto2-sim of this user?`,
        );
      }
      // The file appears when the simulator claims the camera: until then there is nothing to scan.
      const scan = await table.holdersOf(device).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return { holders: [] };
        throw err;
      });
      if (scan.holders.some((h) => h.pid === pid)) return;
      if (Date.now() > deadline) assert.fail(`pid ${pid} never opened ${device}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const pids = (list: { pid: number }[] | undefined): number[] => (list ?? []).map((p) => p.pid).sort((a, b) => a - b);

  describe('the port is known (usb:BBB,DDD): holders of the device only', () => {
    it('leaves a listed name alone when it does not hold the camera\'s device (an unrelated "gphoto2" of this user)', async () => {
      const { root } = await fakeUsbRoot();
      const name = unique(); // stands for "gphoto2": a name on the list, run by some other program
      const unrelated = await startProgram(name);
      const report = await reaper([name], PORT, root).cleanup();
      assert.deepStrictEqual(report.found, [], JSON.stringify(report));
      assert.ok(await running(unrelated), 'the unrelated process still runs');
      assert.strictEqual(report.method, 'device');
    });

    it('stops the real name "gphoto2" only where it holds the device: the holder goes, the unrelated one stays', async () => {
      const { root, device } = await fakeUsbRoot();
      const holder = await startProgram('gphoto2', { holding: device });
      const unrelated = await startProgram('gphoto2');
      const report = await reaper(['gphoto2', SIMULATOR_PROCESS_NAME], PORT, root).cleanup();
      assert.deepStrictEqual(pids(report.found), [holder.pid], JSON.stringify(report));
      assert.deepStrictEqual(
        report.ended.map((e) => e.how),
        ['terminated'],
      );
      assert.ok(await exited(holder), 'the holder is gone');
      assert.ok(await running(unrelated), 'the gphoto2 that does not hold the camera still runs');
      assert.deepStrictEqual(report.others, []);
      assert.strictEqual(report.device, path.join(root, '001', '004'));
    });

    it('stops a simulator holding the device; a simulator holding another device file stays', async () => {
      const mine = await SimulatorHarness.create({ lingerMs: -1 });
      const elsewhere = await SimulatorHarness.create({ lingerMs: -1 });
      sims.push(mine, elsewhere);
      const start = (sim: SimulatorHarness): ChildProcess => {
        const c = spawn(sim.program.command, [...sim.program.prefixArgs, '--summary'], {
          env: { ...process.env, ...sim.program.env },
          stdio: 'ignore',
        });
        children.push(c);
        return c;
      };
      const stray = start(mine);
      const other = start(elsewhere);
      const root = path.join(mine.home, 'usb');
      await untilHolding(path.join(root, '001', '004'), stray);
      await untilHolding(path.join(elsewhere.home, 'usb', '001', '004'), other);

      const report = await reaper([SIMULATOR_PROCESS_NAME], PORT, root).cleanup();
      assert.deepStrictEqual(report.found, [{ pid: stray.pid, name: SIMULATOR_PROCESS_NAME }], JSON.stringify(report));
      assert.deepStrictEqual(
        report.ended.map((e) => e.how),
        ['terminated'],
      );
      assert.ok(await exited(stray), 'the simulator holding the camera is gone');
      assert.ok(await running(other), 'the simulator of the other device still runs');
      assert.match(
        reap.describeCleanup(report),
        new RegExp(`Stopped 1 process: gphoto2-sim \\(pid ${stray.pid}\\) terminated`),
      );
    });

    it('names a foreign holder (darktable) in the report and does not stop it', async () => {
      const { root, device } = await fakeUsbRoot();
      const darktable = await startProgram('darktable', { holding: device });
      const report = await reaper([unique(), 'gvfsd-gphoto2'], PORT, root).cleanup();
      assert.deepStrictEqual(report.found, []);
      assert.deepStrictEqual(report.others, [{ pid: darktable.pid, name: 'darktable' }], JSON.stringify(report));
      assert.ok(await running(darktable), 'darktable still runs');
      const text = reap.describeCleanup(report);
      assert.ok(text.includes(`darktable (pid ${darktable.pid}) holds the camera; close it.`), text);
      assert.strictEqual(
        reap.describeHolders(report.others),
        `darktable (pid ${darktable.pid}) holds the camera; close it.`,
      );
    });

    it("names another user's holder, even one with a listed name, and does not stop it", async function () {
      if (!isRoot || spawnSync('id', ['nobody']).status !== 0) {
        console.log('    (skipped: needs root and the user "nobody" to start a process as another user)');
        this.skip();
      }
      const { root, device } = await fakeUsbRoot();
      const name = unique();
      const foreign = await startProgram(name, { holding: device, uid: 65534 });
      const report = await reaper([name], PORT, root).cleanup();
      assert.deepStrictEqual(report.found, []);
      assert.deepStrictEqual(report.others, [{ pid: foreign.pid, name, otherUser: true }], JSON.stringify(report));
      assert.ok(await running(foreign));
      assert.match(
        reap.describeCleanup(report),
        /another user's\) holds the camera; close it \(another user's program can only be closed by that user or an administrator\)/,
      );
    });

    it("as another user, the scan finds that user's holder and only counts processes it may not inspect", async function () {
      if (!isRoot || spawnSync('id', ['nobody']).status !== 0) {
        console.log('    (skipped: needs root and the user "nobody" to scan as another user)');
        this.skip();
      }
      const { device } = await fakeUsbRoot();
      const theirs = await startProgram('darktable', { holding: device, uid: 65534 });
      const rootsOwn = await startProgram('gphoto2', { holding: device });
      const scanner = path.join(__dirname, '..', 'support', 'holderScan.js');
      const r = spawnSync(process.execPath, [scanner, device], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: '/' });
      assert.strictEqual(r.status, 0, r.stderr);
      const scan = JSON.parse(r.stdout) as { holders: { pid: number; name: string }[]; uninspected: number };
      assert.deepStrictEqual(
        scan.holders.map((h) => [h.pid, h.name]),
        [[theirs.pid, 'darktable']],
        "root's holder is invisible to nobody",
      );
      assert.ok(scan.uninspected >= 1, `root's processes are counted as uninspected (${scan.uninspected})`);
      assert.ok(await running(rootsOwn));
    });

    it('stops the gvfs volume monitor by name (it grabs cameras on hotplug); gvfsd-gphoto2 only when it holds this device', async function () {
      const gvfsNames = ['gvfs-gphoto2-volume-monitor', 'gvfsd-gphoto2'];
      const already = await new LinuxProcessTable().list(new Set(gvfsNames));
      if (already.some((p) => p.uid === ME)) {
        console.log(`    (skipped: this user runs a real ${already[0].name}; the test would stop it)`);
        this.skip();
      }
      const { root, device } = await fakeUsbRoot();
      const monitor = await startProgram('gvfs-gphoto2-volume-monitor');
      const otherMount = await startProgram('gvfsd-gphoto2');
      const ourMount = await startProgram('gvfsd-gphoto2', { holding: device });
      const report = await reaper(gvfsNames, PORT, root).cleanup();
      assert.deepStrictEqual(
        pids(report.found),
        pids([monitor, ourMount] as { pid: number }[]),
        JSON.stringify(report),
      );
      assert.ok((await exited(monitor)) && (await exited(ourMount)));
      assert.ok(await running(otherMount), 'the gvfsd-gphoto2 of another camera still runs');
    });

    it('never stops our own child (runner.activePids() is excluded) and does not name it either', async () => {
      const { root, device } = await fakeUsbRoot();
      const name = unique();
      const ours = await startProgram(name, { holding: device });
      const report = await reaper([name], PORT, root).cleanup({ exclude: [ours.pid as number] });
      assert.deepStrictEqual(report.found, []);
      assert.deepStrictEqual(report.others, []);
      assert.ok(await running(ours));
    });
  });

  describe('names on the deny list are never signalled', () => {
    const CTX: SettingsContext = { workspaceFolder: '/tmp/ws', homeDir: '/tmp/home', platform: 'linux' };

    for (const denied of ['node', 'bash', 'sh', 'code', 'Code', 'code-server', 'systemd', 'init', 'sshd', 'sudo']) {
      it(`the settings refuse cleanup.processNames containing "${denied}", naming the entry`, () => {
        assert.throws(
          () => parseSettings((key) => (key === 'cleanup.processNames' ? ['gphoto2', denied] : undefined), CTX),
          (err: unknown) => {
            assert.ok(err instanceof SettingError, String(err));
            assert.strictEqual(err.setting, 'cameraTether.cleanup.processNames');
            assert.ok(err.message.includes(`"${denied}"`), err.message);
            return true;
          },
        );
      });
    }

    it('the settings still accept camera programs (gphoto2, entangle) and the defaults', () => {
      const s = parseSettings(
        (key) => (key === 'cleanup.processNames' ? ['gphoto2', 'gvfsd-gphoto2', 'my-camera-daemon'] : undefined),
        CTX,
      );
      assert.deepStrictEqual(s.cleanupProcessNames, ['gphoto2', 'gvfsd-gphoto2', 'my-camera-daemon']);
    });

    it('a holder named like a shell is named, not stopped, even when configured', async () => {
      const { root, device } = await fakeUsbRoot();
      const shell = await startProgram('bash', { holding: device });
      const report = await reaper(['bash', 'gphoto2'], PORT, root).cleanup();
      assert.deepStrictEqual(report.found, []);
      assert.deepStrictEqual(report.others, [{ pid: shell.pid, name: 'bash' }]);
      assert.deepStrictEqual(report.refused, ['bash']);
      assert.ok(await running(shell));
      assert.match(reap.describeCleanup(report), /Never stopped, whatever the settings say: bash\./);
    });

    it('by name, configured deny-list names are skipped (table stub at the boundary lists our own child as "node", "sh" and "Code")', async () => {
      const child = await startProgram(unique());
      const [real] = await new LinuxProcessTable().list(new Set([path.basename(child.spawnfile)]));
      assert.ok(real, 'precondition: the child is listed');
      const table: ProcessTable = {
        list: async () => ['node', 'sh', 'Code'].map((name) => ({ ...real, name })),
        isAlive: (p) => new LinuxProcessTable().isAlive(p),
      };
      const report = await reaper(['node', 'sh', 'Code'], undefined, undefined, table).cleanup();
      assert.deepStrictEqual(report.found, [], JSON.stringify(report));
      assert.ok(await running(child), 'nothing was signalled');
      assert.deepStrictEqual(report.refused, ['node', 'sh', 'Code']);
      assert.deepStrictEqual(report.names, []);
    });
  });

  describe('a pid is re-checked right before each signal (pid reuse)', () => {
    it('does not signal a pid whose start time changed between listing and signalling (table stub at the boundary)', async () => {
      const name = unique();
      const child = await startProgram(name);
      const [real] = await new LinuxProcessTable().list(new Set([name]));
      // What the stub lists is a process that started earlier under this pid; the real table (asked
      // before the signal) sees the child, which started later: the pid was reused.
      const listed: ProcessInfo = { ...real, startTime: String(Number(real.startTime) - 1) };
      const table: ProcessTable = { list: async () => [listed], isAlive: (p) => new LinuxProcessTable().isAlive(p) };
      const report = await reaper([name], undefined, undefined, table).cleanup();
      assert.deepStrictEqual(report.found, [{ pid: child.pid, name }]);
      assert.deepStrictEqual(
        report.ended.map((e) => e.how),
        ['alreadyGone'],
        JSON.stringify(report),
      );
      assert.ok(await running(child), 'the process now holding that pid got no signal');
    });

    it('signalIfSame signals the same process and refuses a reused pid or a group pid (table stub whose start time changes)', async () => {
      const name = unique();
      const child = await startProgram(name);
      const real = new LinuxProcessTable();
      const [info] = await real.list(new Set([name]));
      let startTimeNow = info.startTime;
      // The boundary: a table whose view of the pid's start time the test changes.
      const stub: ProcessTable = {
        list: async () => [info],
        isAlive: async (p) => p.startTime === startTimeNow && (await real.isAlive({ pid: p.pid })),
      };
      startTimeNow = `${info.startTime}-reused`;
      assert.strictEqual(await reap.signalIfSame(stub, info, 'SIGKILL'), 'gone');
      assert.ok(await running(child), 'a reused pid gets no signal');
      for (const pid of [0, -1, 1, process.pid]) {
        // SIGCONT harms nobody should the guard ever break; the stub says these pids are alive.
        assert.strictEqual(
          await reap.signalIfSame({ list: async () => [], isAlive: async () => true }, { pid }, 'SIGCONT'),
          'gone',
          `pid ${pid}`,
        );
      }
      startTimeNow = info.startTime;
      assert.strictEqual(await reap.signalIfSame(stub, info, 'SIGTERM'), 'sent');
      assert.ok(await exited(child), 'the same process is signalled');
    });
  });

  describe('falls back to names when the device cannot be used', () => {
    it("port unknown: this user's processes with the exact name are stopped, as before", async () => {
      const name = unique();
      const stray = await startProgram(name);
      const report = await reaper([name], undefined, undefined).cleanup();
      assert.deepStrictEqual(report.found, [{ pid: stray.pid, name }]);
      assert.ok(await exited(stray));
      assert.strictEqual(report.method, 'names');
      assert.strictEqual(report.fallback, undefined);
    });

    it('a port that is not usb:BBB,DDD (ptpip:...) and a device node that does not exist fall back to names and say why', async () => {
      const { root } = await fakeUsbRoot();
      for (const [port, why] of [
        ['ptpip:192.168.1.10', /not a USB bus address/],
        [
          'usb:001,009',
          /001\/009 does not exist \(the camera is unplugged, or it got a new address: detect it again\)/,
        ],
      ] as const) {
        const name = unique();
        const stray = await startProgram(name);
        const report = await reaper([name], port, root).cleanup();
        assert.deepStrictEqual(report.found, [{ pid: stray.pid, name }], port);
        assert.strictEqual(report.method, 'names');
        assert.match(report.fallback ?? '', why);
        assert.match(reap.describeCleanup(report), /Looked by name only: /);
        assert.ok(await exited(stray));
      }
    });
  });

  it('usbDevicePath maps gphoto2 ports to device nodes and refuses other forms', () => {
    assert.strictEqual(reap.usbDevicePath('usb:001,004'), '/dev/bus/usb/001/004');
    assert.strictEqual(reap.usbDevicePath('usb:1,4', '/x'), '/x/001/004');
    for (const p of [
      undefined,
      '',
      'usb:',
      'usb:001',
      'usb:001,004,5',
      'usb:../../etc,1',
      'ptpip:1.2.3.4',
      'disk:/media/cam',
      'usb:0001,004',
    ]) {
      assert.strictEqual(reap.usbDevicePath(p), undefined, String(p));
    }
  });
});

describe("the simulator's device file", function () {
  this.timeout(20_000);
  let sim: SimulatorHarness | undefined;
  afterEach(async () => {
    await sim?.dispose();
    sim = undefined;
  });

  for (const kind of ['a FIFO', 'a symlink to a file elsewhere'] as const) {
    it(`refuses ${kind} where its device file goes, loudly and without hanging or following it`, async () => {
      sim = await SimulatorHarness.create();
      const root = path.join(sim.home, 'devroot');
      const node = path.join(root, '001', '004');
      await fs.mkdir(path.dirname(node), { recursive: true });
      const elsewhere = path.join(sim.home, 'elsewhere');
      if (kind === 'a FIFO') assert.strictEqual(spawnSync('mkfifo', [node]).status, 0);
      else await fs.symlink(elsewhere, node);
      await sim.configure({ usbDeviceRoot: root } as Parameters<SimulatorHarness['configure']>[0]);
      const r = spawnSync(sim.program.command, [...sim.program.prefixArgs, '--summary'], {
        env: { ...process.env, ...sim.program.env },
        encoding: 'utf8',
        timeout: 10_000,
      });
      assert.strictEqual(r.status, 70, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
      assert.match(
        r.stderr,
        kind === 'a FIFO'
          ? /004 is not a plain file; the simulated USB device must be one/
          : /cannot open the simulated USB device file .*004: ELOOP/,
      );
      await assert.rejects(fs.stat(elsewhere), 'nothing was created through the symlink');
    });
  }
});

describe('describeCleanup / describeHolders wording', () => {
  const base: CleanupReport = {
    found: [],
    ended: [],
    others: [],
    method: 'device',
    device: '/dev/bus/usb/001/004',
    uninspected: 0,
    refused: [],
    names: ['gphoto2'],
    durationMs: 12,
    settledMs: 0,
  };

  it('says nothing of ours held the device, and mentions uninspected processes only then', () => {
    assert.strictEqual(
      reap.describeCleanup(base),
      'Nothing of ours was holding the camera (/dev/bus/usb/001/004; 12 ms).',
    );
    assert.strictEqual(
      reap.describeCleanup({ ...base, uninspected: 3 }),
      'Nothing of ours was holding the camera (/dev/bus/usb/001/004; 12 ms). 3 processes of other users could not be checked; if the camera stays busy, one of them may hold it, and only that user or an administrator can close it.',
    );
  });

  it('names several holders in one sentence', () => {
    assert.strictEqual(
      reap.describeHolders([
        { pid: 1234, name: 'darktable' },
        { pid: 99, name: 'entangle' },
        { pid: 7, name: 'shotwell' },
      ]),
      'darktable (pid 1234), entangle (pid 99) and shotwell (pid 7) hold the camera; close them.',
    );
    assert.strictEqual(reap.describeHolders([]), '');
  });
});
