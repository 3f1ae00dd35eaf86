/**
 * A throwaway second local user for tests of what another user of the same machine can do to us
 * (plant folders, symlinks, files). Needs root and useradd; otherwise `create` says why not, and the
 * suite skips with that reason printed. The user's actions run as a Node script under its uid/gid
 * (Node drops root's supplementary groups when uid/gid are given).
 */
import { spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
  /** Runs `script` (Node, CommonJS) as this user with `args` in process.argv[1...]; throws on failure. */
  run(script: string, ...args: string[]): string;
  remove(): void;
}

const USERADD = ['/usr/sbin/useradd', '/sbin/useradd', '/usr/bin/useradd'];
const USERDEL = ['/usr/sbin/userdel', '/sbin/userdel', '/usr/bin/userdel'];

export function createOtherUser(): OtherUser | { skip: string } {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return { skip: 'needs root to create a second local user (useradd) and act as it' };
  const useradd = USERADD.find((p) => fs.existsSync(p));
  const userdel = USERDEL.find((p) => fs.existsSync(p));
  if (!useradd || !userdel) return { skip: 'useradd/userdel not found' };
  const name = `ct-other-${randomBytes(4).toString('hex')}`;
  const made = spawnSync(
    useradd,
    ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) return { skip: `useradd ${name} failed: ${made.stderr.trim()}` };
  const id = (flag: string): number => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  return {
    name,
    uid,
    gid,
    run(script, ...args) {
      const r = spawnSync(process.execPath, ['-e', script, ...args], {
        uid,
        gid,
        cwd: '/',
        env: { PATH: '/usr/bin:/bin' },
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`as ${name}: ${script} failed (${r.status ?? r.signal}): ${r.stderr}`);
      return r.stdout;
    },
    remove() {
      spawnSync(userdel, [name]);
    },
  };
}
