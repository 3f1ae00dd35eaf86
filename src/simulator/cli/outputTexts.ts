/**
 * gphoto2 2.5.28 / libgphoto2 2.5.30 texts, copied from the real binaries on Debian bookworm
 * (`gphoto2 --version`, `--help`, an unknown option) and from their sources, so that whatever
 * parses gphoto2's output is tested against the same bytes.
 */
import {
  COMPRESSIONS,
  EXPOSURE_TIMES,
  formatG,
  formatOf,
  PROPS,
  textOf,
  WHITE_BALANCES,
  type PropKey,
  type PropValues,
} from '../camera/properties';

export const HELP_TEXT =
  [
    'Usage: gphoto2 [OPTION...]',
    '',
    'Common options',
    '  -?, --help                                 Print complete help message on',
    '                                             program usage',
    '      --usage                                Print short message on program',
    '                                             usage',
    '      --debug                                Turn on debugging',
    '      --debug-loglevel=STRING                Set debug level',
    '                                             [error|debug|data|all]',
    '      --debug-logfile=FILENAME               Name of file to write debug info',
    '                                             to',
    '  -q, --quiet                                Quiet output (default=verbose)',
    '      --parsable                             Simple parsable output (implies',
    '                                             quiet)',
    '      --hook-script=FILENAME                 Hook script to call after',
    '                                             downloads, captures, etc.',
    '',
    'Miscellaneous options (unsorted)',
    '      --stdout                               Send file to stdout',
    '      --stdout-size                          Print filesize before data',
    '      --auto-detect                          List auto-detected cameras',
    '      --show-exif=STRING                     Show EXIF information of JPEG',
    '                                             images',
    '      --show-info=STRING                     Show image information, like',
    '                                             width, height, and capture time',
    '      --summary                              Show camera summary',
    '      --manual                               Show camera driver manual',
    '      --about                                About the camera driver manual',
    '      --storage-info                         Show storage information',
    '      --shell                                gPhoto shell',
    '',
    'Get information on software and host system (not from the camera)',
    '  -v, --version                              Display version and exit',
    '      --list-cameras                         List supported camera models',
    '      --list-ports                           List supported port devices',
    '  -a, --abilities                            Display the camera/driver',
    '                                             abilities in the libgphoto2',
    '                                             database',
    '',
    'Specify the camera to use',
    '      --port=FILENAME                        Specify device port',
    '      --speed=SPEED                          Specify serial transfer speed',
    '      --camera=MODEL                         Specify camera model',
    '      --usbid=USBIDs                         (expert only) Override USB IDs',
    '',
    'Camera and software configuration',
    '      --config                               Configure',
    '      --list-config                          List configuration tree',
    '      --list-all-config                      Dump full configuration tree',
    '      --get-config=STRING                    Get configuration value',
    '      --set-config=STRING                    Set configuration value or index',
    '                                             in choices',
    '      --set-config-index=STRING              Set configuration value index in',
    '                                             choices',
    '      --set-config-value=STRING              Set configuration value',
    '      --reset                                Reset device port',
    '',
    'Capture an image from or on the camera',
    '      --keep                                 Keep images on camera after',
    '                                             capturing',
    '      --keep-raw                             Keep RAW images on camera after',
    '                                             capturing',
    '      --no-keep                              Remove images from camera after',
    '                                             capturing',
    '      --wait-event[=EVENT]                   Wait for event(s) from camera',
    '      --wait-event-and-download[=EVENT]      Wait for event(s) from the camera',
    '                                             and download new images',
    '      --capture-preview                      Capture a quick preview',
    '      --show-preview                         Show a quick preview as Ascii Art',
    '  -B, --bulb=SECONDS                         Set bulb exposure time in seconds',
    '  -F, --frames=COUNT                         Set number of frames to capture',
    '                                             (default=infinite)',
    '  -I, --interval=SECONDS                     Set capture interval in seconds',
    '      --reset-interval                       Reset capture interval on signal',
    '                                             (default=no)',
    '      --capture-image                        Capture an image',
    '      --trigger-capture                      Trigger capture of an image',
    '      --capture-image-and-download           Capture an image and download it',
    '      --capture-movie[=COUNT or SECONDS]     Capture a movie',
    '      --capture-sound                        Capture an audio clip',
    '      --capture-tethered[=EVENT]             Wait for shutter release on the',
    '                                             camera and download',
    '',
    'Downloading, uploading and manipulating files',
    '  -l, --list-folders                         List folders in folder',
    '  -L, --list-files                           List files in folder',
    '  -m, --mkdir=DIRNAME                        Create a directory',
    '  -r, --rmdir=DIRNAME                        Remove a directory',
    '  -n, --num-files                            Display number of files',
    '  -p, --get-file=RANGE                       Get files given in range',
    '  -P, --get-all-files                        Get all files from folder',
    '  -t, --get-thumbnail=RANGE                  Get thumbnails given in range',
    '  -T, --get-all-thumbnails                   Get all thumbnails from folder',
    '      --get-metadata=RANGE                   Get metadata given in range',
    '      --get-all-metadata                     Get all metadata from folder',
    '      --upload-metadata=STRING               Upload metadata for file',
    '      --get-raw-data=RANGE                   Get raw data given in range',
    '      --get-all-raw-data                     Get all raw data from folder',
    '      --get-audio-data=RANGE                 Get audio data given in range',
    '      --get-all-audio-data                   Get all audio data from folder',
    '  -d, --delete-file=RANGE                    Delete files given in range',
    '  -D, --delete-all-files                     Delete all files in folder',
    '                                             (--no-recurse by default)',
    '  -u, --upload-file=FILENAME                 Upload a file to camera',
    '      --filename=FILENAME_PATTERN            Specify a filename or filename',
    '                                             pattern',
    '      --filenumber=NUMBER                    Specify the number a filename %%n',
    '                                             will starts with (default 1)',
    '  -f, --folder=FOLDER                        Specify camera folder',
    '                                             (default="/")',
    '  -R, --recurse                              Recursion (default for download)',
    '      --no-recurse                           No recursion (default for',
    '                                             deletion)',
    '      --new                                  Process new files only',
    '      --force-overwrite                      Overwrite files without asking',
    '      --skip-existing                        Skip existing files',
    '',
    'EVENT can be either COUNT, SECONDS, MILLISECONDS, or MATCHSTRING.',
  ].join('\n') + '\n';

export const USAGE_TEXT =
  [
    'Usage: gphoto2 [-?qvalLnPTDR] [-?|--help] [--usage] [--debug]',
    '        [--debug-loglevel=STRING] [--debug-logfile=FILENAME] [-q|--quiet]',
    '        [--parsable] [--hook-script=FILENAME] [--stdout] [--stdout-size]',
    '        [--auto-detect] [--show-exif=STRING] [--show-info=STRING]',
    '        [--summary] [--manual] [--about] [--storage-info] [--shell]',
    '        [-v|--version] [--list-cameras] [--list-ports] [-a|--abilities]',
    '        [--port=FILENAME] [--speed=SPEED] [--camera=MODEL] [--usbid=USBIDs]',
    '        [--config] [--list-config] [--list-all-config] [--get-config=STRING]',
    '        [--set-config=STRING] [--set-config-index=STRING]',
    '        [--set-config-value=STRING] [--reset] [--keep] [--keep-raw]',
    '        [--no-keep] [--wait-event=EVENT] [--wait-event-and-download=EVENT]',
    '        [--capture-preview] [--show-preview] [-B|--bulb=SECONDS]',
    '        [-F|--frames=COUNT] [-I|--interval=SECONDS] [--reset-interval]',
    '        [--capture-image] [--trigger-capture] [--capture-image-and-download]',
    '        [--capture-movie=COUNT or SECONDS] [--capture-sound]',
    '        [--capture-tethered=EVENT] [-l|--list-folders] [-L|--list-files]',
    '        [-m|--mkdir=DIRNAME] [-r|--rmdir=DIRNAME] [-n|--num-files]',
    '        [-p|--get-file=RANGE] [-P|--get-all-files] [-t|--get-thumbnail=RANGE]',
    '        [-T|--get-all-thumbnails] [--get-metadata=RANGE] [--get-all-metadata]',
    '        [--upload-metadata=STRING] [--get-raw-data=RANGE]',
    '        [--get-all-raw-data] [--get-audio-data=RANGE] [--get-all-audio-data]',
    '        [-d|--delete-file=RANGE] [-D|--delete-all-files]',
    '        [-u|--upload-file=FILENAME] [--filename=FILENAME_PATTERN]',
    '        [--filenumber=NUMBER] [-f|--folder=FOLDER] [-R|--recurse]',
    '        [--no-recurse] [--new] [--force-overwrite] [--skip-existing]',
  ].join('\n') + '\n';

export const VERSION_TEXT =
  [
    'gphoto2 2.5.28',
    '',
    'Copyright (c) 2000-2021 Marcus Meissner and others',
    '',
    'gphoto2 comes with NO WARRANTY, to the extent permitted by law. You may',
    'redistribute copies of gphoto2 under the terms of the GNU General Public',
    'License. For more information about these matters, see the files named COPYING.',
    '',
    'This version of gphoto2 is using the following software versions and options:',
    'gphoto2         2.5.28         gcc, popt(m), exif, cdk, aa, jpeg, readline',
    'libgphoto2      2.5.30         standard camlibs, gcc, no ltdl, EXIF',
    'libgphoto2_port 0.12.1         iolibs: disk ptpip serial usb1 usbdiskdirect usbscsi, gcc, no ltdl, EXIF, USB, serial without locking',
  ].join('\n') + '\n';

/** gp_result_as_string / gp_port_result_as_string for the codes the simulator produces. */
export const RESULT_TEXTS: Readonly<Record<number, string>> = {
  [-1]: 'Unspecified error',
  [-2]: 'Bad parameters',
  [-3]: 'Out of memory',
  [-5]: 'Unknown port',
  [-6]: 'Unsupported operation',
  [-7]: 'I/O problem',
  [-52]: 'Could not find the requested device on the USB port',
  [-53]: 'Could not claim the USB device',
  [-105]: 'Unknown model',
  [-108]: 'File not found',
  [-110]: 'I/O in progress',
  [-112]: 'Operation cancelled',
};

export function resultText(code: number): string {
  return RESULT_TEXTS[code] ?? 'Unknown error';
}

/** What gphoto2's context error callback prints to stderr, immediately, for each libgphoto2 error message. */
export function contextErrorBlock(message: string): string {
  return `\n*** Error ***              \n${message}\n`;
}

/** The last line gphoto2 prints to stderr when a command fails (report_failure in main.c). */
export function finalErrorLine(code: number): string {
  return `*** Error (${code}: '${resultText(code)}') ***       \n\n`;
}

/** report_failure's stdout paragraph, with the command line echoed as gphoto2 quotes it. */
export function debugParagraph(argv: readonly string[]): string {
  const echoed = argv.map((a) => (a.includes(' ') ? ` "${a}"` : ` ${a}`)).join('');
  return (
    'For debugging messages, please use the --debug option.\n' +
    'Debugging messages may help finding a solution to your problem.\n' +
    'If you intend to send any error or debug messages to the gphoto\n' +
    'developer mailing list <gphoto-devel@lists.sourceforge.net>, please run\n' +
    'gphoto2 as follows:\n\n' +
    `    env LANG=C gphoto2 --debug --debug-logfile=my-logfile.txt${echoed}\n\n` +
    'Please make sure there is sufficient quoting around the arguments.\n\n'
  );
}

/** libgphoto2's io-library wrapper around a port error (gphoto2-camera.c CR macro). */
export function ioLibraryMessage(code: number, portError = 'No error description available'): string {
  return `An error occurred in the io-library ('${resultText(code)}'): ${portError}`;
}

/** libusb1.c when claiming interface 0 fails because another process holds it (Linux wording). */
export const CLAIM_FAILED_MESSAGE = ioLibraryMessage(
  -53,
  'Could not claim interface 0 (Device or resource busy). Make sure no other program (gvfs-gphoto2-volume-monitor) ' +
    'or kernel module (such as sdc2xx, stv680, spca50x) is using the device and you have read/write access to the device.',
);

export const NO_CAMERA_MESSAGE = 'Could not detect any camera';
export const PORT_NOT_SET_MESSAGE = 'You have to set the port prior to initialization of the camera.';
export const DEVICE_BUSY_MESSAGE = 'PTP Device Busy';
export const STORE_FULL_MESSAGE = 'PTP Store Full';
export const NO_FOCUS_MESSAGE = 'Capture failed: No focus.';
/** ptp2 library.c for a Nikon body without StartLiveView (what the vcamera D750 prints). */
export const NO_LIVEVIEW_MESSAGE = 'Sorry, your Nikon camera does not support LiveView mode';

/** action_camera_set_port when the port is not in the port list (no newline before the final line). */
export function unknownPortText(port: string): string {
  return (
    `The port you specified ('${port}') can not be found. Please specify one of the ports found by ` +
    "'gphoto2 --list-ports' and make sure the spelling is correct (i.e. with prefix 'serial:' or 'usb:')."
  );
}

/** `--auto-detect`: printf("%-30s %-16s\n") for the header and for each row. */
export function autoDetectText(rows: ReadonlyArray<{ model: string; port: string }>): string {
  const row = (a: string, b: string): string => `${a.padEnd(30)} ${b.padEnd(16)}\n`;
  return (
    row('Model', 'Port') +
    '----------------------------------------------------------\n' +
    rows.map((r) => row(r.model, r.port)).join('')
  );
}

/** `--summary`, laid out like ptp2's camera_summary for a PTP body with one memory card; property values as set now. */
export function summaryText(model: string, serial: string, values: PropValues, nextImage: number): string {
  const freeBytes = 31868993536 - (nextImage - 1) * 4_500_000;
  const mb = (n: number): number => Math.floor(n / 1024 / 1024);
  const raw = formatOf(values) !== 'jpeg';
  const list = (key: PropKey): string => (PROPS[key].values ?? []).join(',');
  return (
    'Camera summary:\n' +
    'Manufacturer: Camera Tether\n' +
    `Model: ${model}\n` +
    '  Version: V1.00\n' +
    `  Serial Number: ${serial}\n` +
    'Vendor Extension ID: 0xa (1.0)\n' +
    '\n' +
    `Capture Formats: JPEG${raw ? ' Undefined Type' : ''}\n` +
    'Display Formats: Association/Directory, JPEG, Undefined Type\n' +
    '\n' +
    'Device Capabilities:\n' +
    '\tFile Download, File Deletion, No File Upload\n' +
    '\tGeneric Image Capture, No Open Capture, No vendor specific capture\n' +
    '\n' +
    'Storage Devices Summary:\n' +
    'store_00010001:\n' +
    '\tStorageDescription: None\n' +
    '\tVolumeLabel: None\n' +
    '\tStorage Type: Removable RAM (memory card)\n' +
    '\tFilesystemtype: Digital Camera Layout (DCIM)\n' +
    '\tAccess Capability: Read-Write\n' +
    `\tMaximum Capability: 31902400512 (${mb(31902400512)} MB)\n` +
    `\tFree Space (Bytes): ${freeBytes} (${mb(freeBytes)} MB)\n` +
    `\tFree Space (Images): ${Math.floor(freeBytes / 4_500_000)}\n` +
    '\n' +
    'Device Property Summary:\n' +
    'Battery Level(0x5001):(read only) (type=0x2) Range [0 - 100, step 1] value: 100% (100)\n' +
    `Compression Setting(0x5004):(readwrite) (type=0x2) Enumeration [${list('compression')}] value: ${textOf(COMPRESSIONS, values.compression)} (${values.compression})\n` +
    `White Balance(0x5005):(readwrite) (type=0x4) Enumeration [${list('whitebalance')}] value: ${textOf(WHITE_BALANCES, values.whitebalance)} (${values.whitebalance})\n` +
    `F-Number(0x5007):(readwrite) (type=0x4) Enumeration [${list('fnumber')}] value: f/${formatG(values.fnumber / 100)} (${values.fnumber})\n` +
    `Exposure Time(0x500d):(readwrite) (type=0x6) Enumeration [${list('exptime')}] value: ${EXPOSURE_TIMES.find(([r]) => r === values.exptime)?.[1] ?? values.exptime} (${values.exptime})\n` +
    `Exposure Index (film speed ISO)(0x500f):(readwrite) (type=0x4) Enumeration [${list('iso')}] value: ISO ${values.iso} (${values.iso})\n` +
    `Date & Time(0x5011):(readwrite) (type=0xffff) '${ptpDate(new Date())}'\n` +
    // gphoto2 prints the summary text with printf("\n%s\n"), hence the blank last line.
    '\n'
  );
}

function ptpDate(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}T${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** `--list-ports` as this Debian build prints it; a detected USB camera replaces the bare "usb:" row. */
export function listPortsText(cameraPort: string | undefined, quiet: boolean): string {
  const rows: Array<[string, string]> = [
    ['ptpip:', 'PTP/IP Connection'],
    ['ip:', 'IP Connection'],
    ['serial:/dev/ttyS0', 'Serial Port 0'],
    ['serial:', 'Serial Port Device'],
    [cameraPort ?? 'usb:', 'Universal Serial Bus'],
  ];
  if (quiet) return `${rows.length}\n${rows.map(([p, d]) => `${p.padEnd(32)} ${d.padEnd(32)}\n`).join('')}`;
  return (
    `Devices found: ${rows.length}\n` +
    'Path                             Description\n' +
    '--------------------------------------------------------------\n' +
    rows.map(([p, d]) => `${p.padEnd(32)} ${d.padEnd(32)}\n`).join('')
  );
}

/*
 * Configuration texts: gphoto2 2.5.28 actions.c (print_widget, _find_widget_by_name,
 * set_config_action, set_config_index_action, set_config_value_action) and libgphoto2 2.5.30
 * camlibs/ptp2/config.c (_set_config), checked against the real binary with the virtual camera
 * (test/fixtures/gphoto2/vcamera-set-*.json, vcamera-list-all-config.json).
 */
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

export const notInTreeText = (name: string): string => `${name} not found in configuration tree.`;
export const propertyNotFoundText = (name: string): string => `Property '${name}' not found.`;
export const failedToSetText = (value: string, name: string): string =>
  `Failed to set new configuration value ${value} for configuration entry ${name}.`;
export const readOnlyPropertyText = (label: string, ptp: number): string =>
  `Sorry, the property '${label}' / 0x${hex4(ptp)} is currently read-only.`;
/** The camera's PTP refusal; the generic /main/other setter's text ends with a period, the named one's not. */
export const notSetText = (label: string, ptp: number, generic: boolean): string =>
  `The property '${label}' / 0x${hex4(ptp)} was not set (0x201c: PTP Invalid Device Prop Value)${generic ? '.' : ''}`;
export const widgetReadOnlyText = (name: string): string => `Property ${name} is read only.`;
export const noSuchChoiceText = (value: string): string => `Choice ${value} not found within list of choices.`;
export const notFloatText = (value: string): string => `The passed value ${value} is not a floating point value.`;
/** `%f` of C: six decimals. */
export const outOfRangeText = (f: number, bottom: number, top: number): string =>
  `The passed value ${f.toFixed(6)} is not within the expected range ${bottom.toFixed(6)} - ${top.toFixed(6)}.`;
export const notToggleText = (value: string): string => `The passed value ${value} is not a valid toggle value.`;
export const notTimeText = (value: string): string =>
  `The passed value ${value} is neither a valid time nor an integer.`;
export const noIndexText = (name: string): string =>
  `The ${name} widget has no indexed list of choices. Use --set-config-value instead.`;
export const notConfigurableText = (name: string): string => `The ${name} widget is not configurable.`;
/** print_widget's DATE help: the translated string ends in \n and is printed with "Help: %s\n". */
export const DATE_HELP_LINES = "Help: Use 'now' as the current time when setting.\n\n";

/** strftime("%c") in the C locale: `Mon Nov 30 19:50:01 2026` (day of month space-padded). */
export function cLocaleDate(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())} ${d.getFullYear()}`;
}
