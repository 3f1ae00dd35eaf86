import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import * as fsSync from 'fs';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CameraLock } from '../../src/camera/cameraLock';
import { CameraError } from '../../src/camera/errors';
import { tempDir } from '../support/simulatorHarness';

/** A pid that certainly belonged to a process that has exited. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => c.once('exit', r));
  return c.pid as number;
}

describe('CameraLock (another window)', () => {
  let dir: string;
  beforeEach(async () => (dir = await tempDir('ct-lock-')));
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('lets one holder in and tells the second who holds it', async () => {
    const file = path.join(dir, 'camera.lock');
    const first = new CameraLock(file, 'window A', process.pid);
    const other = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)']);
    try {
      const second = new CameraLock(file, 'window B', other.pid);
      await first.acquire();
      await assert.rejects(
        second.acquire(),
        (e: unknown) =>
          e instanceof CameraError &&
          e.kind === 'inUse' &&
          e.details.ownerPid === process.pid &&
          new RegExp(`in use by process ${process.pid}`).test(e.message),
      );
      await first.release();
      await second.acquire();
      assert.strictEqual((await second.currentOwner())?.pid, other.pid);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over a stale lock whose owner is dead', async () => {
    const file = path.join(dir, 'camera.lock');
    await fs.writeFile(
      file,
      JSON.stringify({
        pid: await deadPid(),
        hostname: os.hostname(),
        acquiredAt: 'then',
        description: 'crashed window',
      }),
    );
    const lock = new CameraLock(file, 'me');
    await lock.acquire();
    assert.strictEqual((await lock.currentOwner())?.pid, process.pid);
  });

  it('taking over a stale lock removes the staging files its dead owner left, not those of live pids or other files', async () => {
    const file = path.join(dir, 'camera.lock');
    const dead = await deadPid();
    await fs.writeFile(
      file,
      JSON.stringify({ pid: dead, hostname: os.hostname(), acquiredAt: 'then', description: 'killed window' }),
    );
    const leftovers = [`camera.lock.${dead}.1764000000000.tmp`, `camera.lock.stale-${dead}-1764000000001`];
    const kept = [`camera.lock.${process.pid}.1764000000002.tmp`, 'camera.lock.notes', 'other.lock.1.2.tmp'];
    for (const name of [...leftovers, ...kept]) await fs.writeFile(path.join(dir, name), '{}');
    const lock = new CameraLock(file, 'me', process.pid);
    await lock.acquire();
    assert.deepStrictEqual((await fs.readdir(dir)).sort(), ['camera.lock', ...kept].sort());
  });

  it('treats a torn or foreign lock file as stale', async () => {
    const file = path.join(dir, 'camera.lock');
    await fs.writeFile(file, 'not json');
    const lock = new CameraLock(file, 'me');
    await lock.acquire();
    assert.strictEqual((await lock.currentOwner())?.pid, process.pid);
  });

  it('of many racing for a stale lock, exactly one wins', async () => {
    const file = path.join(dir, 'camera.lock');
    await fs.writeFile(
      file,
      JSON.stringify({ pid: await deadPid(), hostname: os.hostname(), acquiredAt: 'then', description: 'crashed' }),
    );
    const holders = await Promise.all(
      Array.from({ length: 8 }, () => spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'])),
    );
    try {
      const results = await Promise.allSettled(holders.map((h, i) => new CameraLock(file, `w${i}`, h.pid).acquire()));
      assert.strictEqual(results.filter((r) => r.status === 'fulfilled').length, 1);
      const owner = await new CameraLock(file).currentOwner();
      assert.ok(holders.some((h) => h.pid === owner?.pid));
    } finally {
      for (const h of holders) h.kill('SIGKILL');
    }
  });

  it("release never removes another holder's lock", async () => {
    const file = path.join(dir, 'camera.lock');
    const a = new CameraLock(file, 'a');
    await a.acquire();
    await fs.writeFile(file, JSON.stringify({ pid: 1, hostname: 'x', acquiredAt: 'now', description: 'init' }));
    await a.release();
    assert.strictEqual((await a.currentOwner())?.pid, 1);
  });
});

/** Field 22 of /proc/<pid>/stat, or undefined off Linux. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = fsSync.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function bootId(): string | undefined {
  try {
    return fsSync.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A process that lives until the test kills it (another window). */
function liveProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)']);
}

function inUse(check: (e: CameraError) => void): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CameraError && e.kind === 'inUse', `an inUse CameraError, got ${String(e)}`);
    check(e);
    return true;
  };
}

describe('CameraLock owner identity: pid, start time, host, boot id; Take Over', () => {
  let dir: string;
  let file: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await tempDir('ct-lock-');
    file = path.join(dir, 'camera.lock');
  });
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  });
  const other = (): ChildProcess => {
    const c = liveProcess();
    children.push(c);
    return c;
  };

  it("records the owner's pid, process start time, host name and boot id", async function () {
    if (!startTimeOf(process.pid)) this.skip();
    const lock = new CameraLock(file, 'window A');
    await lock.acquire();
    const owner = await lock.currentOwner();
    assert.strictEqual(owner?.pid, process.pid);
    assert.strictEqual(owner.startTime, startTimeOf(process.pid));
    assert.strictEqual(owner.bootId, bootId());
    assert.strictEqual(owner.hostname, os.hostname());
  });

  it('takes over a lock whose pid is alive but belongs to another process now (pid reused: other start time)', async function () {
    if (!startTimeOf(1)) this.skip();
    // Pid 1 always exists; the lock says it started at another time, so the window that wrote it is gone.
    await fs.writeFile(
      file,
      JSON.stringify({
        pid: 1,
        startTime: '12345',
        bootId: bootId(),
        hostname: os.hostname(),
        acquiredAt: 'then',
        description: 'window before the reboot of its pid',
      }),
    );
    const me = other();
    const lock = new CameraLock(file, 'me', me.pid);
    await lock.acquire();
    assert.strictEqual((await lock.currentOwner())?.pid, me.pid);
  });

  it('takes over a lock written in an earlier boot even though its pid is alive now', async function () {
    if (!bootId() || !startTimeOf(1)) this.skip();
    await fs.writeFile(
      file,
      JSON.stringify({
        pid: 1,
        startTime: startTimeOf(1),
        bootId: '00000000-0000-4000-8000-000000000000',
        hostname: os.hostname(),
        acquiredAt: 'yesterday',
        description: 'window before the reboot',
      }),
    );
    const lock = new CameraLock(file, 'me');
    await lock.acquire();
    assert.strictEqual((await lock.currentOwner())?.pid, process.pid);
  });

  it('a lock from another host is never taken silently: inUse naming the host, with Take Over', async () => {
    // Its pid means nothing here (dead or alive locally): the owner runs on the other machine.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.once('exit', r));
    const foreign = {
      pid: dead.pid,
      startTime: '99',
      bootId: '11111111-1111-4111-8111-111111111111',
      hostname: 'studio-pc',
      acquiredAt: '2025-01-01T10:00:00Z',
      description: 'VS Code window "scans"',
    };
    await fs.writeFile(file, JSON.stringify(foreign));
    await assert.rejects(
      new CameraLock(file, 'me').acquire(),
      inUse((e) => {
        assert.ok(e.actions.includes('takeOver'), `offers Take Over: ${e.actions.join(', ')}`);
        assert.match(e.message, /on another computer, "studio-pc"/);
        assert.match(e.message, /VS Code window "scans"/);
      }),
    );
    assert.deepStrictEqual(JSON.parse(await fs.readFile(file, 'utf8')), foreign, 'the foreign lock is left as it was');
  });

  it("a live window's lock is inUse without Take Over; one whose identity cannot be confirmed offers it", async function () {
    if (!startTimeOf(process.pid)) this.skip();
    const a = other();
    await new CameraLock(file, 'window A', a.pid).acquire();
    await assert.rejects(
      new CameraLock(file, 'me').acquire(),
      inUse((e) => assert.ok(!e.actions.includes('takeOver'), `a verified live owner: ${e.actions.join(', ')}`)),
    );
    // An older lock without a start time: the pid is alive, but is it still that window?
    await fs.writeFile(
      file,
      JSON.stringify({ pid: a.pid, hostname: os.hostname(), acquiredAt: 'then', description: 'old window' }),
    );
    await assert.rejects(
      new CameraLock(file, 'me').acquire(),
      inUse((e) => {
        assert.ok(e.actions.includes('takeOver'), `offers Take Over: ${e.actions.join(', ')}`);
        assert.match(e.message, /cannot confirm/);
      }),
    );
  });

  it('a hostile lock description reaches the message only sanitised (no controls, bidi overrides, line breaks) and capped at 80 characters', async () => {
    const hostile = `\u202eevil\u202c\u0007\u001b[31m red \r\nline two\u2028\u200b${'A'.repeat(300)}`;
    const a = other();
    const pid = a.pid as number;
    const hostileHost = `host\u202e\n${'h'.repeat(200)}`;
    const cases = [
      // A live window of this boot (the host name is not compared when the boot id matches)...
      {
        pid,
        startTime: startTimeOf(pid),
        bootId: bootId(),
        hostname: hostileHost,
        acquiredAt: `\u0000${'9'.repeat(200)}`,
        description: hostile,
      },
      // ...and a lock of another host, whose name is shown too.
      { pid, hostname: hostileHost, acquiredAt: 'then', description: hostile },
    ];
    for (const content of cases) {
      await fs.writeFile(file, JSON.stringify(content));
      await assert.rejects(
        new CameraLock(file, 'me').acquire(),
        inUse((e) => {
          assert.ok(
            // eslint-disable-next-line no-control-regex
            !/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/.test(e.message),
            `no control or bidi characters: ${JSON.stringify(e.message)}`,
          );
          assert.ok(
            !e.message.includes('A'.repeat(80)) &&
              !e.message.includes('h'.repeat(80)) &&
              !e.message.includes('9'.repeat(80)),
            `every field is capped: ${e.message}`,
          );
          const shown = /\((.*?), since/.exec(e.message)?.[1] ?? '';
          assert.ok(Array.from(shown).length <= 80, `at most 80 characters: ${shown.length}`);
          assert.ok(
            shown.startsWith('evil [31m red line two AAA'),
            `readable text kept, whitespace collapsed: ${shown}`,
          );
        }),
      );
    }
  });

  it("Take Over takes a live window's lock after confirmation; the old owner's release() then leaves the new lock alone", async () => {
    const a = other();
    const b = other();
    const old = new CameraLock(file, 'old window', a.pid);
    const newer = new CameraLock(file, 'new window', b.pid);
    await old.acquire();
    await assert.rejects(
      newer.acquire(),
      inUse(() => undefined),
    );
    const seen = await newer.inspect();
    assert.strictEqual(seen.owner?.pid, a.pid);
    const displaced = await newer.takeOver(seen.owner);
    assert.strictEqual(displaced?.pid, a.pid, 'reports whose lock it took');
    assert.strictEqual((await newer.currentOwner())?.pid, b.pid);
    await old.release();
    assert.strictEqual((await newer.currentOwner())?.pid, b.pid, 'the old owner did not remove the new lock');
    await assert.rejects(
      old.acquire(),
      inUse((e) => assert.strictEqual(e.details.ownerPid, b.pid)),
      'the old owner no longer thinks it holds the camera',
    );
    await newer.acquire(); // still ours: re-entrant
    await newer.release();
    assert.strictEqual(await newer.currentOwner(), undefined);
  });

  it('Take Over takes nothing when the lock changed after the user saw it', async () => {
    const a = other();
    const c = other();
    const first = new CameraLock(file, 'first', a.pid);
    await first.acquire();
    const seen = (await new CameraLock(file, 'me').inspect()).owner;
    await first.release();
    await new CameraLock(file, 'third', c.pid).acquire();
    await assert.rejects(
      new CameraLock(file, 'me').takeOver(seen),
      inUse((e) => assert.match(e.message, /changed while you were deciding.*third/)),
    );
    assert.strictEqual((await first.currentOwner())?.pid, c.pid);
  });

  it('of many windows taking over the same lock at once, exactly one ends up holding it', async () => {
    const a = other();
    await new CameraLock(file, 'victim', a.pid).acquire();
    const seen = (await new CameraLock(file).inspect()).owner;
    const takers = Array.from({ length: 8 }, (_, i) => new CameraLock(file, `w${i}`, other().pid as number));
    await Promise.allSettled(takers.map((t) => t.takeOver(seen)));
    assert.strictEqual(takers.filter((t) => t.isHeld).length, 1);
    const owner = await takers[0].currentOwner();
    assert.ok(takers.some((t) => t.isHeld && owner?.description === `w${takers.indexOf(t)}`));
  });
});
