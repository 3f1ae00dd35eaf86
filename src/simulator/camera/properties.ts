/**
 * The simulated body's exposure properties, modelled on a Nikon DSLR as libgphoto2 2.5.30 shows
 * one (the published `--list-all-config` of a Nikon D780 in libgphoto2's camlibs/ptp2/cameras, and
 * the tables of camlibs/ptp2/config.c): each is a PTP device property holding a raw number
 * (F-Number 560 = f/5.6, Exposure Time 80 = 1/125 s in units of 1/10000 s, exposure bias in
 * thousandths of a stop), shown by gphoto2 as a named RADIO widget (`f-number`) and as the raw
 * MENU `/main/other/5007`.
 *
 * The mode dial (`expprogram`) decides what the photographer may set, as a body reports it: in A
 * the shutter speed is read-only, in S the aperture, in P both, in the automatic and scene modes
 * also ISO and exposure compensation (what the D780 listing shows in A: shutterspeed Readonly 1).
 * Unlike a D780, whose dial is physical, the simulator lets gphoto2 write `expprogram` (as the
 * Nikon bodies without a dial do) so that tests can turn it.
 */
import type { SimConfig } from './simConfig';

export type PropKey =
  | 'expprogram'
  | 'fnumber'
  | 'exptime'
  | 'iso'
  | 'expbias'
  | 'whitebalance'
  | 'compression'
  | 'focusmode'
  | 'capturemode'
  | 'autowhitebias';

export type PropValues = Record<PropKey, number>;

export interface PropDef {
  key: PropKey;
  /** PTP property code, for libgphoto2's texts (`/ 0x5007`) and the raw view `/main/other/5007`. */
  ptp: number;
  /** The name libgphoto2's ptp_get_property_description gives the raw property (the MENU's label). */
  ptpLabel: string;
  /** The values the camera offers (enumeration), or a range. */
  values?: readonly number[];
  range?: { bottom: number; top: number; step: number };
  initial: (c: SimConfig) => number;
}

/** Exposure Program Mode (0x500e), libgphoto2 config.c `exposure_program_modes` (Nikon rows). */
export const EXPOSURE_PROGRAMS: ReadonlyArray<[number, string]> = [
  [0x0001, 'M'],
  [0x0002, 'P'],
  [0x0003, 'A'],
  [0x0004, 'S'],
  [0x8010, 'Auto'],
  [0x8011, 'Portrait'],
  [0x8012, 'Landscape'],
  [0x8014, 'Sports'],
  [0x8018, 'Automatic (No Flash)'],
];

/**
 * Exposure times a Nikon offers, in 1/10000 s, with their nominal speed (the Nikon D5300 pairs of
 * `shutterspeed` 0.0002s and `shutterspeed2` 1/4000 in a published listing): the nominal one goes
 * into EXIF, so a 1/125 s frame reads 1/125, not 1/125.0.
 */
export const EXPOSURE_TIMES: ReadonlyArray<[number, string]> = [
  [2, '1/4000'],
  [3, '1/3200'],
  [4, '1/2500'],
  [5, '1/2000'],
  [6, '1/1600'],
  [8, '1/1250'],
  [10, '1/1000'],
  [12, '1/800'],
  [15, '1/640'],
  [20, '1/500'],
  [25, '1/400'],
  [31, '1/320'],
  [40, '1/250'],
  [50, '1/200'],
  [62, '1/160'],
  [80, '1/125'],
  [100, '1/100'],
  [125, '1/80'],
  [166, '1/60'],
  [200, '1/50'],
  [250, '1/40'],
  [333, '1/30'],
  [400, '1/25'],
  [500, '1/20'],
  [666, '1/15'],
  [769, '1/13'],
  [1000, '1/10'],
  [1250, '1/8'],
  [1666, '1/6'],
  [2000, '1/5'],
  [2500, '1/4'],
  [3333, '1/3'],
  [4000, '10/25'],
  [5000, '1/2'],
  [6250, '10/16'],
  [7692, '10/13'],
  [10000, '1'],
  [13000, '13/10'],
  [16000, '16/10'],
  [20000, '2'],
  [25000, '25/10'],
  [30000, '3'],
  [40000, '4'],
  [50000, '5'],
  [80000, '8'],
  [100000, '10'],
  [150000, '15'],
  [200000, '20'],
  [300000, '30'],
];

/** White balance (0x5005), config.c `whitebalance` (the Nikon rows the D780 lists). */
export const WHITE_BALANCES: ReadonlyArray<[number, string]> = [
  [0x0002, 'Automatic'],
  [0x0004, 'Daylight'],
  [0x0005, 'Fluorescent'],
  [0x0006, 'Tungsten'],
  [0x0007, 'Flash'],
  [0x8010, 'Cloudy'],
  [0x8011, 'Shade'],
  [0x8012, 'Color Temperature'],
  [0x8013, 'Preset'],
];

/** Compression setting (0x5004), config.c `nikon_d90_compression`. */
export const COMPRESSIONS: ReadonlyArray<[number, string]> = [
  [0, 'JPEG Basic'],
  [1, 'JPEG Normal'],
  [2, 'JPEG Fine'],
  [4, 'NEF (Raw)'],
  [5, 'NEF+Basic'],
  [6, 'NEF+Normal'],
  [7, 'NEF+Fine'],
];

/** Focus mode (0x500a), config.c `focusmodes` (Nikon rows). */
export const FOCUS_MODES: ReadonlyArray<[number, string]> = [
  [0x0001, 'Manual'],
  [0x8010, 'AF-S'],
  [0x8011, 'AF-C'],
  [0x8012, 'AF-A'],
];

/** Still capture mode (0x5013), config.c `capture_mode` (Nikon rows). */
export const CAPTURE_MODES: ReadonlyArray<[number, string]> = [
  [0x0001, 'Single Shot'],
  [0x0002, 'Burst'],
  [0x8010, 'Continuous Low Speed'],
  [0x8011, 'Timer'],
  [0x8012, 'Mirror Up'],
  [0x8016, 'Quiet Release'],
];

const F_NUMBERS = [280, 350, 400, 450, 500, 560, 630, 710, 800, 900, 1000, 1100, 1300, 1400, 1600, 1800, 2000, 2200];
const ISOS = [100, 125, 160, 200, 250, 320, 400, 500, 640, 800, 1000, 1250, 1600, 2000, 2500, 3200, 4000, 5000, 6400];
const BIASES = [
  -3000, -2666, -2333, -2000, -1666, -1333, -1000, -666, -333, 0, 333, 666, 1000, 1333, 1666, 2000, 2333, 2666, 3000,
];

const codes = (table: ReadonlyArray<[number, string]>): number[] => table.map(([v]) => v);

export const PROPS: Readonly<Record<PropKey, PropDef>> = {
  expprogram: {
    key: 'expprogram',
    ptp: 0x500e,
    ptpLabel: 'Exposure Program Mode',
    values: codes(EXPOSURE_PROGRAMS),
    initial: () => 0x0001,
  },
  fnumber: { key: 'fnumber', ptp: 0x5007, ptpLabel: 'F-Number', values: F_NUMBERS, initial: () => 560 },
  exptime: {
    key: 'exptime',
    ptp: 0x500d,
    ptpLabel: 'Exposure Time',
    values: codes(EXPOSURE_TIMES),
    initial: () => 166,
  },
  iso: { key: 'iso', ptp: 0x500f, ptpLabel: 'Exposure Index (film speed ISO)', values: ISOS, initial: () => 100 },
  expbias: { key: 'expbias', ptp: 0x5010, ptpLabel: 'Exposure Bias Compensation', values: BIASES, initial: () => 0 },
  whitebalance: {
    key: 'whitebalance',
    ptp: 0x5005,
    ptpLabel: 'White Balance',
    values: codes(WHITE_BALANCES),
    initial: () => 0x0002,
  },
  compression: {
    key: 'compression',
    ptp: 0x5004,
    ptpLabel: 'Compression Setting',
    values: codes(COMPRESSIONS),
    initial: (c) => (c.raw ? 7 : 2),
  },
  focusmode: {
    key: 'focusmode',
    ptp: 0x500a,
    ptpLabel: 'Focus Mode',
    values: codes(FOCUS_MODES),
    initial: () => 0x8010,
  },
  capturemode: {
    key: 'capturemode',
    ptp: 0x5013,
    ptpLabel: 'Still Capture Mode',
    values: codes(CAPTURE_MODES),
    initial: () => 0x0001,
  },
  autowhitebias: {
    key: 'autowhitebias',
    ptp: 0xd017,
    ptpLabel: 'Auto White Balance Bias',
    range: { bottom: 0, top: 1224, step: 1 },
    initial: () => 612,
  },
};

export const PROP_KEYS = Object.keys(PROPS) as PropKey[];

export function initialValues(c: SimConfig): PropValues {
  const out = {} as PropValues;
  for (const k of PROP_KEYS) out[k] = PROPS[k].initial(c);
  return out;
}

/** The properties the camera decides itself at this dial position (read-only to gphoto2). */
export function decidedByDial(expprogram: number): ReadonlySet<PropKey> {
  switch (expprogram) {
    case 0x0001:
      return new Set();
    case 0x0003:
      return new Set(['exptime']);
    case 0x0004:
      return new Set(['fnumber']);
    case 0x0002:
      return new Set(['fnumber', 'exptime']);
    default:
      return new Set(['fnumber', 'exptime', 'iso', 'expbias']);
  }
}

export function textOf(table: ReadonlyArray<[number, string]>, raw: number): string {
  return table.find(([v]) => v === raw)?.[1] ?? `Unknown value ${raw.toString(16).padStart(4, '0')}`;
}

/** C's `%g` for the numbers used here (at most 6 significant digits, no trailing zeros). */
export function formatG(n: number): string {
  if (n === 0) return '0';
  const abs = Math.abs(n);
  if (abs >= 1e6 || abs < 1e-4) {
    const [mant, exp] = n.toExponential(5).split('e');
    const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
    const e = Number(exp);
    return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  }
  return String(Number(n.toPrecision(6)));
}

/** What a capture records of the exposure (EXIF). */
export interface Exposure {
  /** Seconds as a fraction [numerator, denominator]. */
  exposureTime: [number, number];
  fNumber: [number, number];
  iso: number;
  /** Stops, as [numerator, denominator]. */
  bias: [number, number];
  /** EXIF ExposureProgram: 1 manual, 2 program, 3 aperture priority, 4 shutter priority, 7 portrait, 8 landscape. */
  program: number;
  /** EXIF WhiteBalance: 0 auto, 1 manual. */
  whiteBalanceManual: boolean;
}

export function exposureOf(v: PropValues): Exposure {
  const nominal = EXPOSURE_TIMES.find(([raw]) => raw === v.exptime)?.[1] ?? `${v.exptime}/10000`;
  const [num, den] = nominal.includes('/') ? nominal.split('/').map(Number) : [Number(nominal), 1];
  const program = { 0x0001: 1, 0x0002: 2, 0x0003: 3, 0x0004: 4, 0x8011: 7, 0x8012: 8 }[v.expprogram] ?? 2;
  return {
    exposureTime: [num, den],
    fNumber: [v.fnumber, 100],
    iso: v.iso,
    bias: [v.expbias, 1000],
    program,
    whiteBalanceManual: v.whitebalance !== 0x0002,
  };
}

/** The capture's files: JPEG only, NEF only, or NEF then JPEG (as Nikon bodies report them). */
export function formatOf(v: PropValues): 'jpeg' | 'raw' | 'raw+jpeg' {
  if (v.compression === 4) return 'raw';
  return v.compression >= 5 ? 'raw+jpeg' : 'jpeg';
}
