/** Real gphoto2 output captured on Debian (test/fixtures/gphoto2, see its README). */
import * as fs from 'fs';
import * as path from 'path';
import type { ProcessOutcome } from '../../src/camera/gphoto2';
import { PROJECT_ROOT } from './simulatorHarness';

/** A signal the recorder sent: after a stdout line appeared `count` times, or `afterMs` after the previous one. */
export interface FixtureSignal {
  signal: NodeJS.Signals;
  afterLine?: string;
  count?: number;
  afterMs?: number;
}

export interface Gphoto2Fixture {
  args: string[];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  note?: string;
}

export function fixture(name: string): Gphoto2Fixture {
  return JSON.parse(
    fs.readFileSync(path.join(PROJECT_ROOT, 'test', 'fixtures', 'gphoto2', `${name}.json`), 'utf8'),
  ) as Gphoto2Fixture;
}

/** The fixture as a finished process, for classifyOutcome. */
export function outcomeOf(f: Gphoto2Fixture): ProcessOutcome {
  return {
    exitCode: f.exitCode ?? undefined,
    signal: f.signal ?? undefined,
    stdout: f.stdout,
    stderr: f.stderr,
    timedOut: false,
    cancelled: false,
  };
}
