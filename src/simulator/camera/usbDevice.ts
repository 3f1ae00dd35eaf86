/**
 * The simulated camera's USB device node. A real camera at `usb:001,004` is the device file
 * /dev/bus/usb/001/004, and libusb keeps it open for as long as gphoto2 has the camera; Camera
 * Tether's cleanup finds the camera's holders by that open file (/proc/PID/fd). The simulator keeps a
 * PLAIN FILE at `<root>/BBB/DDD` open for as long as it holds its claim, so that lookup is testable
 * without a camera: point the reaper's usbDeviceRoot at the same root.
 *
 * The root is the config field `usbDeviceRoot`; empty means `usb/` in the state folder. The file is
 * never written, and never a real device: a path that is not a plain file (a device node, a FIFO, a
 * symlink) is refused, so a root of /dev/bus/usb cannot make the simulator open real hardware.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SimConfigError } from './simConfig';
import type { SimConfig } from './simConfig';

/** `<root>/BBB/DDD` for a `usb:BBB,DDD` port (as libusb names the node), else undefined: no device file. */
export function usbDeviceFile(config: Pick<SimConfig, 'port' | 'usbDeviceRoot'>, stateDir: string): string | undefined {
  const m = /^usb:(\d{1,3}),(\d{1,3})$/.exec(config.port);
  if (!m) return undefined;
  const root = config.usbDeviceRoot === '' ? path.join(stateDir, 'usb') : path.resolve(config.usbDeviceRoot);
  return path.join(root, m[1].padStart(3, '0'), m[2].padStart(3, '0'));
}

/**
 * Opens (creating if needed) the device file and returns its descriptor. It is deliberately never
 * closed: the claim lasts until the process exits, and the kernel closes it then, even on SIGKILL,
 * exactly as it drops a killed gphoto2's hold on a real device.
 */
export function holdUsbDevice(file: string): number {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { O_RDONLY, O_CREAT, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO planted there must not hang the open; it is refused just below.
    fd = fs.openSync(file, O_RDONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK, 0o644);
  } catch (err) {
    throw new SimConfigError(
      `cannot open the simulated USB device file ${file}: ${(err as Error).message} (set "usbDeviceRoot" to a folder of your own)`,
    );
  }
  if (!fs.fstatSync(fd).isFile()) {
    fs.closeSync(fd);
    throw new SimConfigError(
      `${file} is not a plain file; the simulated USB device must be one (set "usbDeviceRoot" to a folder of your own, not /dev)`,
    );
  }
  return fd;
}
