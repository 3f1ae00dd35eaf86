import * as assert from 'assert';
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
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
      await assert.rejects(second.acquire(), (e: unknown) => e instanceof CameraError && e.kind === 'inUse' && e.details.ownerPid === process.pid && new RegExp(`in use by process ${process.pid}`).test(e.message));
      await first.release();
      await second.acquire();
      assert.strictEqual((await second.currentOwner())?.pid, other.pid);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('takes over a stale lock whose owner is dead', async () => {
    const file = path.join(dir, 'camera.lock');
    await fs.writeFile(file, JSON.stringify({ pid: await deadPid(), hostname: 'x', acquiredAt: 'then', description: 'crashed window' }));
    const lock = new CameraLock(file, 'me');
    await lock.acquire();
    assert.strictEqual((await lock.currentOwner())?.pid, process.pid);
  });

  it('taking over a stale lock removes the staging files its dead owner left, not those of live pids or other files', async () => {
    const file = path.join(dir, 'camera.lock');
    const dead = await deadPid();
    await fs.writeFile(file, JSON.stringify({ pid: dead, hostname: 'x', acquiredAt: 'then', description: 'killed window' }));
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
    await fs.writeFile(file, JSON.stringify({ pid: await deadPid(), hostname: 'x', acquiredAt: 'then', description: 'crashed' }));
    const holders = await Promise.all(Array.from({ length: 8 }, () => spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'])));
    try {
      const results = await Promise.allSettled(holders.map((h, i) => new CameraLock(file, `w${i}`, h.pid).acquire()));
      assert.strictEqual(results.filter((r) => r.status === 'fulfilled').length, 1);
      const owner = await new CameraLock(file).currentOwner();
      assert.ok(holders.some((h) => h.pid === owner?.pid));
    } finally {
      for (const h of holders) h.kill('SIGKILL');
    }
  });

  it('release never removes another holder\'s lock', async () => {
    const file = path.join(dir, 'camera.lock');
    const a = new CameraLock(file, 'a');
    await a.acquire();
    await fs.writeFile(file, JSON.stringify({ pid: 1, hostname: 'x', acquiredAt: 'now', description: 'init' }));
    await a.release();
    assert.strictEqual((await a.currentOwner())?.pid, 1);
  });
});
