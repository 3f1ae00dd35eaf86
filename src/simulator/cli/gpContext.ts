/** What gphoto2 keeps in its global GPParams: the options in effect, the camera and the %n counter. */
import type { GpError } from './gpError';
import { contextErrorBlock } from './outputTexts';
import type { Session } from './session';
import type { SimCamera } from '../camera/simCamera';

export interface Flags {
  quiet: boolean;
  stdout: boolean;
  stdoutSize: boolean;
  forceOverwrite: boolean;
  skipExisting: boolean;
  keep: boolean;
  keepRaw: boolean;
  /** --parsable: --list-files prints one FILENAME= line per file. */
  parsable: boolean;
  debug: boolean;
}

export class GpContext {
  private fileNumber: number;
  /** gphoto2's current camera folder (`--folder`, and the folder of the last file a capture saved). */
  folder = '/';

  constructor(
    readonly session: Session,
    readonly camera: SimCamera,
    readonly flags: Flags,
    readonly filename: string | undefined,
    firstFileNumber: number,
  ) {
    this.fileNumber = firstFileNumber;
  }

  /** gphoto2's %n: a per-process counter, not the camera's image number. */
  takeNumber = (): number => this.fileNumber++;

  /** libgphoto2 prints its context error as soon as it happens, before the caller's own "ERROR:" lines. */
  printContext(e: GpError): void {
    if (e.contextMessage) this.session.err(contextErrorBlock(e.contextMessage));
  }
}
