// Files a crashed window left in the staging folder (gphoto2 had downloaded them; the camera may have
// deleted them from its card) are moved to recovered/ when their owner is provably gone on this
// machine, and never otherwise. Owners are real processes: a child that has exited (a real dead
// pid), a live child (a window mid-capture), this process with a wrong start time (a reused pid).
import * as assert from 'assert';
import { spawn, type ChildProcess } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { isCompleteJpeg } from '../../src/camera/downloadedFiles';
import { CaptureStore, RECOVERED_FOLDER, STAGING_FOLDER } from '../../src/capture/captureStore';
import { parseFilenamePattern } from '../../src/capture/fileNaming';
import { ownIdentity, parseStagingName, stagingPrefix, type OwnerIdentity } from '../../src/capture/stagingOwner';
import { tempDir } from '../support/simulatorHarness';

const linux = process.platform === 'linux';

/** A JPEG with start and end markers (what listDownloaded calls complete). */
function jpeg(payload: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(payload), Buffer.from([0xff, 0xd9])]);
}
/** The first part of a JPEG, as a download cut short leaves it. */
function truncatedJpeg(payload: string): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(payload)]);
}

/** The pid of a process that has run and exited (and been reaped): a real dead owner. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  assert.ok(child.pid);
  return child.pid;
}

async function startTimeOf(pid: number): Promise<string> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

/** A long-lived child (a live window, or a gphoto2 still writing when `cwd` is a staging folder). */
async function liveChild(cwd?: string): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); process.stdout.write("up\\n")'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    cwd,
  });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  children.push(child);
  return child as ChildProcess & { pid: number };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

const children: ChildProcess[] = [];

describe('staging recovery (crashed windows)', () => {
  let out: string;
  let store: CaptureStore;
  let me: OwnerIdentity;
  beforeEach(async () => {
    out = await tempDir('ct-recover-');
    store = new CaptureStore(out, parseFilenamePattern('frame-{frame:04}'), 'roll-1');
    await store.openRoll('roll-1');
    me = ownIdentity();
  });
  afterEach(async () => {
    for (const c of children.splice(0)) await stopChild(c);
    await fs.rm(out, { recursive: true, force: true });
  });

  /** A staging folder as the window `owner` made it (the name newStagingDir gives), with files. */
  async function leftBy(owner: OwnerIdentity | string, files: Record<string, Buffer>, seq = 1): Promise<string> {
    const name = typeof owner === 'string' ? owner : `${stagingPrefix(owner, seq)}Ab12Cd`;
    const dir = path.join(out, STAGING_FOLDER, name);
    await fs.mkdir(dir, { recursive: true });
    for (const [n, content] of Object.entries(files)) await fs.writeFile(path.join(dir, n), content);
    return dir;
  }

  const exists = (p: string) =>
    fs.lstat(p).then(
      () => true,
      () => false,
    );

  it('new staging folders carry their owner: pid, start time, boot id, host', async () => {
    const dir = await store.newStagingDir();
    const parsed = parseStagingName(path.basename(dir));
    assert.ok(parsed && parsed.format === 'owner', `parsed ${path.basename(dir)}`);
    assert.strictEqual(parsed.owner.pid, process.pid);
    assert.strictEqual(parsed.owner.host, me.host);
    if (linux) {
      assert.strictEqual(parsed.owner.startTime, await startTimeOf(process.pid));
      assert.match(parsed.owner.bootId, /^[0-9a-f]{8}$/);
    }
  });

  it("a dead owner: the complete JPEG, the incomplete JPEG and gphoto2's unfinished tmpfile all go to recovered/, and staging is emptied", async () => {
    const pid = await deadPid();
    const dir = await leftBy(
      { ...me, pid, startTime: linux ? '12345' : '' },
      {
        'IMG_0001.JPG': jpeg('complete one'),
        'IMG_0001.NEF': Buffer.from('II*\0 raw bytes'),
        'IMG_0002.JPG': truncatedJpeg('cut short'),
        tmpfileQw3rTy: truncatedJpeg('still arriving'),
        tmpfileZz9Yy8: Buffer.alloc(0),
      },
    );
    const report = await store.recoverOrphans();
    assert.strictEqual(report.recovered.length, 1, JSON.stringify(report));
    const r = report.recovered[0];
    assert.strictEqual(path.dirname(r.folder), path.join(out, RECOVERED_FOLDER));
    assert.match(path.basename(r.folder), /^\d{4}-\d{2}-\d{2}-\d{6}-[0-9a-f]{8}$/);
    assert.strictEqual(r.from, dir);
    assert.match(r.reason, new RegExp(`process ${pid} no longer exists`));
    assert.deepStrictEqual(
      r.files.map((f) => path.basename(f)),
      ['IMG_0001.JPG', 'IMG_0001.NEF'],
    );
    assert.deepStrictEqual(
      r.incomplete.map((f) => path.basename(f)),
      ['IMG_0002-incomplete.JPG', 'tmpfileQw3rTy-incomplete.JPG'],
    );
    assert.deepStrictEqual((await fs.readdir(r.folder)).sort(), [
      'IMG_0001.JPG',
      'IMG_0001.NEF',
      'IMG_0002-incomplete.JPG',
      'tmpfileQw3rTy-incomplete.JPG',
    ]);
    // Every byte kept, as it was.
    assert.deepStrictEqual(await fs.readFile(path.join(r.folder, 'IMG_0001.JPG')), jpeg('complete one'));
    assert.ok(await isCompleteJpeg(path.join(r.folder, 'IMG_0001.JPG')));
    assert.deepStrictEqual(
      await fs.readFile(path.join(r.folder, 'IMG_0002-incomplete.JPG')),
      truncatedJpeg('cut short'),
    );
    assert.deepStrictEqual(
      await fs.readFile(path.join(r.folder, 'tmpfileQw3rTy-incomplete.JPG')),
      truncatedJpeg('still arriving'),
    );
    assert.strictEqual(await exists(dir), false, 'the emptied staging folder is removed');
    assert.deepStrictEqual(await fs.readdir(path.join(out, STAGING_FOLDER)), []);
    assert.deepStrictEqual((await store.recoverOrphans()).recovered, [], 'a second pass finds nothing');
  });

  it('a tmpfile that holds a whole JPEG (gphoto2 killed between writing and renaming) is kept as a complete .JPG', async () => {
    const dir = await leftBy({ ...me, pid: await deadPid() }, { tmpfileAa1Bb2: jpeg('whole') });
    const [r] = (await store.recoverOrphans()).recovered;
    assert.deepStrictEqual(
      r.files.map((f) => path.basename(f)),
      ['tmpfileAa1Bb2.JPG'],
    );
    assert.deepStrictEqual(r.incomplete, []);
    assert.strictEqual(await exists(dir), false);
  });

  it('a live pid with another start time is a reused pid: its folder is recovered', async function () {
    if (!linux) return this.skip(); // start times come from /proc
    const dir = await leftBy(
      { ...me, startTime: String(Number(await startTimeOf(process.pid)) + 1) },
      { 'IMG_0007.JPG': jpeg('seven') },
    );
    const report = await store.recoverOrphans();
    assert.strictEqual(report.recovered.length, 1);
    assert.match(report.recovered[0].reason, /reused/);
    assert.strictEqual(await exists(dir), false);
  });

  it('a folder made before this machine last started is recovered even if its pid is alive now', async function () {
    if (!linux || !me.bootId) return this.skip(); // boot ids come from /proc
    const otherBoot = me.bootId === '00000000' ? '11111111' : '00000000';
    const dir = await leftBy({ ...me, bootId: otherBoot }, { 'IMG_0008.JPG': jpeg('eight') });
    const report = await store.recoverOrphans();
    assert.strictEqual(report.recovered.length, 1);
    assert.match(report.recovered[0].reason, /before this machine last started/);
    assert.strictEqual(await exists(dir), false);
  });

  it("never touches a live window's folder (a capture in progress), this window's own, or another machine's", async function () {
    if (!linux) return this.skip();
    const window = await liveChild();
    const live = await leftBy(
      { ...me, pid: window.pid, startTime: await startTimeOf(window.pid) },
      { 'IMG_0003.JPG': jpeg('live') },
    );
    const own = await store.newStagingDir();
    await fs.writeFile(path.join(own, 'IMG_0004.JPG'), truncatedJpeg('arriving now'));
    // Another host's pid means nothing here, even one that does not exist on this machine.
    const foreign = await leftBy(
      { ...me, pid: await deadPid(), host: me.host === 'deadbeef' ? 'feedface' : 'deadbeef' },
      { 'IMG_0005.JPG': jpeg('theirs') },
    );
    const report = await store.recoverOrphans();
    assert.deepStrictEqual(report.recovered, []);
    assert.deepStrictEqual(report.leftAlone.map((l) => l.folder).sort(), [live, own, foreign].sort());
    assert.match(report.leftAlone.find((l) => l.folder === foreign)?.reason ?? '', /another machine/);
    assert.match(report.leftAlone.find((l) => l.folder === live)?.reason ?? '', /still running/);
    assert.deepStrictEqual(await fs.readdir(live), ['IMG_0003.JPG']);
    assert.deepStrictEqual(await fs.readdir(own), ['IMG_0004.JPG']);
    assert.deepStrictEqual(await fs.readdir(foreign), ['IMG_0005.JPG']);
    assert.strictEqual(await exists(path.join(out, RECOVERED_FOLDER)), false);
  });

  it('old-format folders (<pid>-<seq>-XXXXXX): recovered when the pid is not alive, left alone when it is', async () => {
    const dead = await leftBy(`${await deadPid()}-3-Xy12Zw`, { 'IMG_0009.JPG': jpeg('old format') });
    const alive = await leftBy(`${process.pid}-4-Xy12Zw`, { 'IMG_0010.JPG': jpeg('old but alive') });
    const report = await store.recoverOrphans();
    assert.deepStrictEqual(
      report.recovered.map((r) => r.from),
      [dead],
    );
    assert.deepStrictEqual(
      report.recovered[0].files.map((f) => path.basename(f)),
      ['IMG_0009.JPG'],
    );
    assert.deepStrictEqual(await fs.readdir(alive), ['IMG_0010.JPG']);
  });

  it("a dead window's folder that a process still writes into (a gphoto2 that outlived it) waits until that process ends", async function () {
    if (!linux) return this.skip(); // who uses a folder is read from /proc
    const dir = await leftBy(
      { ...me, pid: await deadPid() },
      { 'IMG_0011.JPG': jpeg('eleven'), tmpfileAb12Cd: truncatedJpeg('coming') },
    );
    const stray = await liveChild(dir);
    const first = await store.recoverOrphans();
    assert.deepStrictEqual(first.recovered, []);
    assert.match(
      first.leftAlone.find((l) => l.folder === dir)?.reason ?? '',
      new RegExp(`no longer exists, but node \\(pid ${stray.pid}\\) still uses it`),
    );
    assert.deepStrictEqual((await fs.readdir(dir)).sort(), ['IMG_0011.JPG', 'tmpfileAb12Cd']);
    await stopChild(stray);
    const second = await store.recoverOrphans();
    assert.strictEqual(second.recovered.length, 1);
    assert.deepStrictEqual(
      second.recovered[0].files.map((f) => path.basename(f)),
      ['IMG_0011.JPG'],
    );
  });

  it('two windows recovering at once move each folder once, and every file arrives once', async () => {
    const dirs = await Promise.all(
      [1, 2, 3].map(async (seq) =>
        leftBy({ ...me, pid: await deadPid() }, { [`IMG_000${seq}.JPG`]: jpeg(`n${seq}`) }, seq),
      ),
    );
    const other = new CaptureStore(out, parseFilenamePattern('frame-{frame:04}'), 'roll-1');
    const [a, b] = await Promise.all([store.recoverOrphans(), other.recoverOrphans()]);
    const all = [...a.recovered, ...b.recovered];
    assert.deepStrictEqual(all.map((r) => r.from).sort(), dirs.sort());
    const files = (
      await Promise.all(
        (await fs.readdir(path.join(out, RECOVERED_FOLDER))).map((f) =>
          fs.readdir(path.join(out, RECOVERED_FOLDER, f)),
        ),
      )
    )
      .flat()
      .sort();
    assert.deepStrictEqual(files, ['IMG_0001.JPG', 'IMG_0002.JPG', 'IMG_0003.JPG']);
    assert.deepStrictEqual([...a.errors, ...b.errors], []);
  });

  it('leaves a folder that is not one of our staging folders alone', async () => {
    const strange = await leftBy('holiday photos', { 'IMG_0012.JPG': jpeg('not ours') });
    const report = await store.recoverOrphans();
    assert.deepStrictEqual(report.recovered, []);
    assert.deepStrictEqual(
      report.leftAlone.map((l) => l.folder),
      [strange],
    );
    assert.deepStrictEqual(await fs.readdir(strange), ['IMG_0012.JPG']);
  });

  it('no staging folder at all: nothing to do, no error', async () => {
    assert.deepStrictEqual(await store.recoverOrphans(), { recovered: [], leftAlone: [], errors: [] });
  });
});
