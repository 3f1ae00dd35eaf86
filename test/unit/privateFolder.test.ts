/**
 * The camera lock and the simulator's state live in a private per-user folder, not at predictable
 * names in the shared temp folder: another local user must not be able to plant a folder, a symlink
 * or a config there, nor make us write through a symlink. The "shared temp folder" of each test is a
 * fresh sticky, world-writable folder (like /tmp) given as TMPDIR, so nothing real is touched.
 * The second-user tests need root (useradd); elsewhere they skip with the reason printed.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CameraLock } from '../../src/camera/cameraLock';
import { CameraError } from '../../src/camera/errors';
import { privateRuntimeDir } from '../../src/camera/privateDir';
import { createOtherUser, type OtherUser } from '../support/otherUser';
import { SIMULATOR_SCRIPT } from '../support/simulatorHarness';

const uid = typeof process.getuid === 'function' ? process.getuid() : -1;

/** A folder like /tmp: world-writable with the sticky bit. */
function sharedTemp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-shared-tmp-'));
  fs.chmodSync(dir, 0o1777);
  return dir;
}

function mode(p: string): number {
  return fs.lstatSync(p).mode & 0o7777;
}

function refusedWith(...parts: Array<string | RegExp>): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CameraError, `a CameraError, got ${String(e)}`);
    assert.strictEqual(e.kind, 'io');
    for (const p of parts)
      assert.ok(typeof p === 'string' ? e.message.includes(p) : p.test(e.message), `"${e.message}" says ${String(p)}`);
    return true;
  };
}

/** The simulator as the extension starts it by default: no CAMERA_TETHER_SIM_HOME. */
function simulator(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const childEnv = Object.fromEntries(
    Object.entries({ ...process.env, ...env }).filter(
      ([k, v]) => v !== undefined && k !== 'CAMERA_TETHER_SIM_HOME' && k !== 'CAMERA_TETHER_SIM_CONFIG',
    ),
  );
  const r = spawnSync(process.execPath, [SIMULATOR_SCRIPT, ...args], {
    env: childEnv,
    encoding: 'utf8',
    timeout: 15_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('Private per-user folder for the lock and the simulator', function () {
  if (uid < 0) {
    before(function () {
      console.log('    (skipped: no uids on this platform)');
      this.skip();
    });
    return;
  }
  let shared: string;
  const savedEnv = { TMPDIR: process.env.TMPDIR, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR };
  beforeEach(() => {
    shared = sharedTemp();
  });
  afterEach(() => {
    restoreEnv('TMPDIR', savedEnv.TMPDIR);
    restoreEnv('XDG_RUNTIME_DIR', savedEnv.XDG_RUNTIME_DIR);
    fs.rmSync(shared, { recursive: true, force: true });
  });

  it("uses $XDG_RUNTIME_DIR/camera-tether (mode 0700) when XDG_RUNTIME_DIR is the user's own", () => {
    const xdg = fs.mkdtempSync(path.join(shared, 'run-user-'));
    fs.chmodSync(xdg, 0o700);
    const dir = privateRuntimeDir({ env: { XDG_RUNTIME_DIR: xdg }, tmpDir: shared });
    assert.strictEqual(dir, path.join(xdg, 'camera-tether'));
    assert.strictEqual(mode(dir), 0o700);
    assert.strictEqual(
      privateRuntimeDir({ env: { XDG_RUNTIME_DIR: xdg }, tmpDir: shared }),
      dir,
      'two windows of the user agree on it',
    );
  });

  it('refuses an XDG_RUNTIME_DIR that others can write to, naming it and the fix', () => {
    const xdg = fs.mkdtempSync(path.join(shared, 'run-user-'));
    fs.chmodSync(xdg, 0o777);
    assert.throws(
      () => privateRuntimeDir({ env: { XDG_RUNTIME_DIR: xdg }, tmpDir: shared }),
      refusedWith(`XDG_RUNTIME_DIR (${xdg})`, 'can be written by other users (mode 0777)', 'unset it'),
    );
  });

  it('without XDG_RUNTIME_DIR creates <tmp>/camera-tether-<uid> with mode 0700, and fixes a too-open mode of its own folder', () => {
    const expected = path.join(shared, `camera-tether-${uid}`);
    assert.strictEqual(privateRuntimeDir({ env: {}, tmpDir: shared }), expected);
    assert.strictEqual(mode(expected), 0o700);
    fs.chmodSync(expected, 0o755); // e.g. made by hand: ours, only readable by others
    privateRuntimeDir({ env: {}, tmpDir: shared });
    assert.strictEqual(mode(expected), 0o700);
  });

  it('refuses its own fallback folder once others could write into it (they may have planted files)', () => {
    const dir = path.join(shared, `camera-tether-${uid}`);
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    assert.throws(
      () => privateRuntimeDir({ env: {}, tmpDir: shared }),
      refusedWith(dir, 'can be written by other users (mode 0777)', `rm -r "${dir}"`),
    );
  });

  it('refuses a temp folder that everyone can write to without the sticky bit', () => {
    fs.chmodSync(shared, 0o777);
    assert.throws(
      () => privateRuntimeDir({ env: {}, tmpDir: shared }),
      refusedWith(shared, 'lacks the sticky bit', 'XDG_RUNTIME_DIR'),
    );
  });

  describe('as a second local user', () => {
    let other: OtherUser | undefined;
    let victim: string;
    before(function () {
      const made = createOtherUser();
      if ('skip' in made) {
        console.log(`    (skipped: ${made.skip})`);
        this.skip();
      }
      other = made;
    });
    after(() => other?.remove());
    beforeEach(() => {
      victim = fs.mkdtempSync(path.join(os.tmpdir(), 'ct-victim-'));
      fs.writeFileSync(path.join(victim, 'thesis.txt'), 'precious work\n');
      process.env.TMPDIR = shared;
      delete process.env.XDG_RUNTIME_DIR;
    });
    afterEach(() => fs.rmSync(victim, { recursive: true, force: true }));

    const victimFile = (): string => path.join(victim, 'thesis.txt');
    const assertVictimIntact = (): void => {
      assert.deepStrictEqual(fs.readdirSync(victim), ['thesis.txt'], "nothing was written into the victim's folder");
      assert.strictEqual(
        fs.readFileSync(victimFile(), 'utf8'),
        'precious work\n',
        "the victim's file was neither truncated nor overwritten",
      );
    };

    it('a folder the other user planted at the fallback path is refused with the fix, and nothing is written into it', async () => {
      const planted = path.join(shared, `camera-tether-${uid}`);
      other?.run(
        `const fs = require('fs'); const [dir, victim] = process.argv.slice(1);
         fs.mkdirSync(dir, { mode: 0o777 }); fs.chmodSync(dir, 0o777);
         fs.symlinkSync(victim, dir + '/camera.lock');
         fs.mkdirSync(dir + '/sim', { mode: 0o777 }); fs.chmodSync(dir + '/sim', 0o777);
         fs.writeFileSync(dir + '/sim/config.json', JSON.stringify({ model: 'Planted Cam' }));`,
        planted,
        victimFile(),
      );
      const before = fs.readdirSync(planted).sort();
      await assert.rejects(
        new CameraLock(undefined, 'victim window').acquire(),
        refusedWith(
          planted,
          `is owned by uid ${other?.uid}, not by you (uid ${uid})`,
          `sudo rm -r "${planted}"`,
          'XDG_RUNTIME_DIR',
        ),
      );
      const sim = simulator(['--auto-detect'], { TMPDIR: shared, XDG_RUNTIME_DIR: undefined });
      assert.strictEqual(sim.status, 2, `the simulator refuses to start: ${sim.stderr}`);
      assert.ok(
        sim.stderr.includes(`${planted} for its lock and private files: it is owned by uid ${other?.uid}`),
        sim.stderr,
      );
      assert.ok(!sim.stdout.includes('Planted Cam'), 'the planted config.json was not read');
      assert.deepStrictEqual(fs.readdirSync(planted).sort(), before, 'nothing was created in the planted folder');
      assertVictimIntact();
    });

    it('a symlink the other user planted at the fallback path is refused, and nothing is written through it', async () => {
      const planted = path.join(shared, `camera-tether-${uid}`);
      other?.run(`const fs = require('fs'); fs.symlinkSync(process.argv[1], process.argv[2]);`, victim, planted);
      await assert.rejects(
        new CameraLock(undefined, 'victim window').acquire(),
        refusedWith(planted, 'is a symbolic link', `rm "${planted}"`),
      );
      const sim = simulator(['--auto-detect'], { TMPDIR: shared, XDG_RUNTIME_DIR: undefined });
      assert.strictEqual(sim.status, 2, sim.stderr);
      assert.ok(sim.stderr.includes('is a symbolic link'), sim.stderr);
      assertVictimIntact();
    });

    it('an XDG_RUNTIME_DIR owned by the other user is refused', () => {
      const xdg = path.join(shared, 'run-user-other');
      other?.run(`require('fs').mkdirSync(process.argv[1], { mode: 0o700 });`, xdg);
      assert.throws(
        () => privateRuntimeDir({ env: { XDG_RUNTIME_DIR: xdg } }),
        refusedWith(`XDG_RUNTIME_DIR (${xdg})`, `is owned by uid ${other?.uid}`),
      );
    });

    it('the simulator never reads a config.json planted at its old predictable state folder', () => {
      const old = path.join(shared, `camera-tether-sim-${uid}`);
      other?.run(
        `const fs = require('fs'); const dir = process.argv[1];
         fs.mkdirSync(dir, { mode: 0o777 }); fs.chmodSync(dir, 0o777);
         fs.writeFileSync(dir + '/config.json', JSON.stringify({ model: 'Planted Cam' }));`,
        old,
      );
      const sim = simulator(['--auto-detect'], { TMPDIR: shared, XDG_RUNTIME_DIR: undefined });
      assert.strictEqual(sim.status, 0, sim.stderr);
      assert.ok(!sim.stdout.includes('Planted Cam'), `the planted config.json was read:\n${sim.stdout}`);
      assert.ok(sim.stdout.includes('Camera Tether Simulator'), sim.stdout);
      assert.strictEqual(mode(path.join(shared, `camera-tether-${uid}`, 'sim')), 0o700);
    });

    /**
     * The attack that worked on the old lock: staging files were `<lock>.<pid>.<Date.now()>.tmp`,
     * written without O_EXCL, so symlinks at every name of the next seconds made the victim's file
     * be truncated and overwritten with the lock's JSON. (With fs.protected_symlinks=1 the kernel
     * refuses to follow them in a sticky folder, so the old code only fails this where it is 0; the
     * fix does not rely on it.)
     */
    const plantStagingSymlinks = (lockPath: string): void => {
      const now = Date.now();
      other?.run(
        `const fs = require('fs'); const [prefix, from, to, target, lock] = process.argv.slice(1);
         for (let t = Number(from); t <= Number(to); t++) fs.symlinkSync(target, prefix + '.' + t + '.tmp');
         if (lock) fs.symlinkSync(target, lock);`,
        `${lockPath}.${process.pid}`,
        String(now - 1000),
        String(now + 20_000),
        victimFile(),
        lockPath,
      );
    };

    it("symlinks planted at the old lock's guessable names cannot make us overwrite a victim file (default folder)", async () => {
      console.log(`      (fs.protected_symlinks = ${protectedSymlinks()})`);
      plantStagingSymlinks(path.join(shared, 'camera-tether.lock'));
      const lock = new CameraLock(undefined, 'victim window');
      await lock.acquire();
      assertVictimIntact();
      const held = path.join(shared, `camera-tether-${uid}`, 'camera.lock');
      assert.ok(fs.lstatSync(held).isFile(), 'the lock is a plain file in the private folder');
      assert.strictEqual((await lock.currentOwner())?.pid, process.pid);
      await lock.release();
      assertVictimIntact();
    });

    it('symlinks at the staging names and at the lock itself cannot make us overwrite a victim file (lock in a shared folder)', async () => {
      const file = path.join(shared, 'camera-tether.lock');
      plantStagingSymlinks(file);
      const lock = new CameraLock(file, 'victim window');
      await lock.acquire();
      assertVictimIntact();
      assert.ok(fs.lstatSync(file).isFile(), 'the planted symlink was moved aside, not followed');
      assert.strictEqual((await lock.currentOwner())?.pid, process.pid);
      await lock.release();
      assertVictimIntact();
    });
  });
});

function restoreEnv(name: 'TMPDIR' | 'XDG_RUNTIME_DIR', value: string | undefined): void {
  if (value !== undefined) process.env[name] = value;
  else if (name === 'TMPDIR') delete process.env.TMPDIR;
  else delete process.env.XDG_RUNTIME_DIR;
}

function protectedSymlinks(): string {
  try {
    return fs.readFileSync('/proc/sys/fs/protected_symlinks', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}
