/**
 * The simulated camera body: opened lazily by the first operation that needs it (libgphoto2 runs
 * gp_camera_init on first use, which is why a claim failure shows up inside each command's own
 * error handling), holding the device lock while open, and producing the files it "shoots".
 */
import { acquireDeviceLock } from './deviceLock';
import { readConfigValues, readState, writeConfigValues, writeState, cameraFileFor } from './cameraState';
import type { CameraState } from './cameraState';
import { GpError, GP_ERROR_BAD_PARAMETERS, GP_ERROR_IO_USB_CLAIM } from '../cli/gpError';
import { CLAIM_FAILED_MESSAGE, ioLibraryMessage } from '../cli/outputTexts';
import { renderRaw } from '../image/rawFile';
import type { Session } from '../cli/session';
import type { SimConfig } from './simConfig';
import { encodeJpeg, renderStill } from '../image/testCard';
import { exifSegment, insertSegment } from '../image/exif';
import { exposureOf, formatOf, initialValues, type PropKey, type PropValues } from './properties';
import { holdUsbDevice, usbDeviceFile } from './usbDevice';

export interface Selection {
  model?: string;
  port?: string;
}

export interface CameraFile {
  folder: string;
  name: string;
  data: Buffer;
  mtime: Date;
}

export class SimCamera {
  private opened = false;
  private state: CameraState | undefined;
  /** Settings written through gphoto2 (kept in config-values.json); the rest follow the config. */
  private written: Partial<PropValues> = {};

  constructor(
    private readonly session: Session,
    readonly config: SimConfig,
    readonly dir: string,
    private readonly selection: Selection,
  ) {}

  async ensureOpen(): Promise<void> {
    if (this.opened) return;
    // With both --camera and --port given gphoto2 skips detection and opens that exact USB address;
    // nothing there gives libusb1's find-device failure, measured on 2.5.28 as -2 "Bad parameters".
    if (this.selection.model !== undefined && this.selection.port !== undefined) {
      if (this.config.noCamera || !portMatches(this.selection.port, this.config.port)) {
        throw new GpError(GP_ERROR_BAD_PARAMETERS, ioLibraryMessage(GP_ERROR_BAD_PARAMETERS));
      }
    }
    const claim = acquireDeviceLock(this.dir);
    if (!claim.ok) throw new GpError(GP_ERROR_IO_USB_CLAIM, CLAIM_FAILED_MESSAGE);
    this.session.lock = claim.lock;
    // Like libusb's open device node: held until exit, so cleanup's device scan finds this process.
    const device = usbDeviceFile(this.config, this.dir);
    if (device !== undefined) holdUsbDevice(device);
    this.opened = true;
    this.state = readState(this.dir);
    this.written = readConfigValues(this.dir);
    await this.session.sleep(this.config.startupMs); // opening the PTP session
    if (this.config.hang) await this.session.sleep(-1);
  }

  private get current(): CameraState {
    if (!this.state) throw new Error('camera used before ensureOpen()');
    return this.state;
  }

  get nextImage(): number {
    return this.current.nextImage;
  }

  /** The camera's settings now (raw PTP values). */
  get values(): PropValues {
    if (!this.state) throw new Error('camera used before ensureOpen()');
    return { ...initialValues(this.config), ...this.written };
  }

  /** A setting the camera accepted: kept across processes, as a body keeps it. */
  writeValue(key: PropKey, raw: number): void {
    this.written = { ...this.written, [key]: raw };
    writeConfigValues(this.dir, this.written);
  }

  /**
   * One exposure at the current settings (recorded in the JPEG's Exif): the number is used up (and
   * persisted) even if a later download fails, like on a real card. The image format setting
   * decides the files: JPEG, NEF, or NEF then JPEG (Nikon bodies report the NEF first).
   */
  shoot(mtime: Date = new Date()): CameraFile[] {
    const n = this.current.nextImage;
    this.current.nextImage = n + 1;
    writeState(this.dir, this.current);
    const { folder, stem } = cameraFileFor(n);
    const { captureWidth: w, captureHeight: h, jpegQuality: q } = this.config;
    const values = this.values;
    const e = exposureOf(values);
    const exif = exifSegment({
      make: 'Camera Tether',
      model: this.config.model,
      width: w,
      height: h,
      when: mtime,
      exposureTime: e.exposureTime,
      fNumber: e.fNumber,
      iso: e.iso,
      exposureBias: e.bias,
      exposureProgram: e.program,
      whiteBalanceManual: e.whiteBalanceManual,
    });
    const jpg: CameraFile = {
      folder,
      name: `${stem}.JPG`,
      data: insertSegment(encodeJpeg(renderStill(w, h, stem, mtime), q), exif),
      mtime,
    };
    const format = formatOf(values);
    if (format === 'jpeg') return [jpg];
    // Nikon bodies report the NEF first and the JPEG as the next "file added" event. Their NEF
    // embeds a full-size JPEG preview; here it is the same picture as the JPEG.
    const preview = { jpeg: jpg.data, width: w, height: h };
    const nef: CameraFile = {
      folder,
      name: `${stem}.NEF`,
      data: renderRaw(this.config.model, w, h, n, preview, this.config.rawBytes),
      mtime,
    };
    return format === 'raw' ? [nef] : [nef, jpg];
  }

  preview(): Buffer {
    const count = this.current.previews + 1;
    this.current.previews = count;
    writeState(this.dir, this.current);
    const { previewWidth: w, previewHeight: h, jpegQuality: q } = this.config;
    return encodeJpeg(renderStill(w, h, `PREVIEW ${count}`, new Date()), q);
  }
}

/** "usb:" means any USB camera; "usb:1,4" and "usb:001,004" are the same bus address. */
export function portMatches(given: string, configured: string): boolean {
  if (given === configured || given === 'usb:') return true;
  const a = /^usb:(\d+),(\d+)$/.exec(given);
  const b = /^usb:(\d+),(\d+)$/.exec(configured);
  return !!a && !!b && Number(a[1]) === Number(b[1]) && Number(a[2]) === Number(b[2]);
}
