/**
 * The controls a photographer reaches for, whatever the vendor calls them. Names are the widget
 * names libgphoto2's ptp2 driver gives (the last path segment of `--list-all-config`), taken from
 * the menu tables of camlibs/ptp2/config.c in libgphoto2 2.5.30 (`camera_status_menu`,
 * `image_settings_menu`, `capture_settings_menu`, lines ~10464-10760, and the Nikon/Sony/Fuji
 * model tables after them):
 *
 * | role                 | Canon EOS            | Nikon                                  | Sony                 | Fuji                     | Panasonic             | Olympus OM-D         |
 * |----------------------|----------------------|----------------------------------------|----------------------|--------------------------|-----------------------|----------------------|
 * | iso                  | iso                  | iso                                    | iso                  | iso                      | iso                   | iso                  |
 * | shutter              | shutterspeed         | shutterspeed, shutterspeed2 (Nikon 1)  | shutterspeed         | shutterspeed             | shutterspeed          | shutterspeed         |
 * | aperture             | aperture             | f-number, aperture (Nikon 1)           | f-number             | f-number, aperture       | f-number              | aperture             |
 * | exposureCompensation | exposurecompensation | exposurecompensation, exposurecompensation2 | exposurecompensation | exposurecompensation | exposurecompensation | exposurecompensation |
 * | whiteBalance         | whitebalance         | whitebalance                           | whitebalance         | whitebalance             | whitebalance          | whitebalance         |
 * | imageFormat          | imageformat (EOS), imagequality (PowerShot) | imagequality          | imagequality         | imageformat              | imageformat           | imageformat          |
 * | focusMode            | focusmode            | focusmode, focusmode2                  | focusmode            | focusmode                | afmode                | focusmode            |
 * | driveMode            | drivemode            | capturemode ("Still Capture Mode")     | capturemode          | capturemode              |                       |                      |
 * | battery              | batterylevel         | batterylevel                           | batterylevel         |                          |                       |                      |
 * | freeSpace            | availableshots       | availableshots                         |                      |                          |                       |                      |
 *
 * There is no `stillcapturemode` name in libgphoto2: "Still Capture Mode" is the LABEL of
 * `capturemode` (PTP property 0x5013). The mode dial is `expprogram` (generic PTP 0x500e: Nikon,
 * Sony, Fuji), `expprogram2` (Nikon 1), `autoexposuremode` / `autoexposuremodedial` (Canon EOS),
 * `shootingmode` (Canon PowerShot), `expmode` (Panasonic).
 */

export type SettingRole =
  | 'iso'
  | 'shutter'
  | 'aperture'
  | 'exposureCompensation'
  | 'whiteBalance'
  | 'imageFormat'
  | 'focusMode'
  | 'driveMode'
  | 'battery'
  /** Shots left on the card (`availableshots`): libgphoto2 reports no free bytes as a setting. */
  | 'freeSpace';

/** Candidate names per role, in order of preference (a writable one wins over a read-only one). */
export const ROLE_ALIASES: Readonly<Record<SettingRole, readonly string[]>> = {
  iso: ['iso'],
  shutter: ['shutterspeed', 'shutterspeed2'],
  aperture: ['f-number', 'aperture'],
  exposureCompensation: ['exposurecompensation', 'exposurecompensation2'],
  whiteBalance: ['whitebalance'],
  imageFormat: ['imageformat', 'imagequality'],
  focusMode: ['focusmode', 'focusmode2', 'afmode'],
  driveMode: ['drivemode', 'capturemode'],
  battery: ['batterylevel'],
  freeSpace: ['availableshots'],
};

export const SETTING_ROLES: readonly SettingRole[] = Object.keys(ROLE_ALIASES) as SettingRole[];

/** The roles the exposure lock keeps for a roll (the ones that change how a frame is exposed). */
export const EXPOSURE_ROLES: readonly SettingRole[] = [
  'iso',
  'shutter',
  'aperture',
  'exposureCompensation',
  'whiteBalance',
];

/** Names of the mode dial, in order of preference. */
export const MODE_DIAL_NAMES: readonly string[] = [
  'expprogram',
  'autoexposuremodedial',
  'autoexposuremode',
  'expprogram2',
  'shootingmode',
  'expmode',
];

/** Words for the role in messages ("the camera sets the aperture itself"). */
export const ROLE_WORDS: Readonly<Record<SettingRole, string>> = {
  iso: 'ISO',
  shutter: 'shutter speed',
  aperture: 'aperture',
  exposureCompensation: 'exposure compensation',
  whiteBalance: 'white balance',
  imageFormat: 'image format',
  focusMode: 'focus mode',
  driveMode: 'drive mode',
  battery: 'battery level',
  freeSpace: 'shots left',
};

export function isSettingRole(value: string): value is SettingRole {
  return Object.prototype.hasOwnProperty.call(ROLE_ALIASES, value);
}

/** What the mode dial's position lets the photographer set. */
export type ModeKind = 'manual' | 'aperturePriority' | 'shutterPriority' | 'program' | 'automatic';

/**
 * The dial position's kind, from the texts libgphoto2 prints (config.c `exposure_program_modes`:
 * M, P, A, S, Auto, scenes; Canon EOS `canon_eos_autoexposure`: M, P, Av, Tv, Bulb, Auto, scenes;
 * Sony adds "Intelligent Auto" etc.). Unknown texts count as automatic.
 */
export function modeKind(value: string): ModeKind {
  const v = value.trim().toLowerCase();
  if (v === 'm' || v === 'manual' || v === 'bulb' || v === 'movie (m)') return 'manual';
  if (v === 'a' || v === 'av' || v === 'aperture priority' || v === 'movie (a)') return 'aperturePriority';
  if (v === 's' || v === 'tv' || v === 'shutter priority' || v === 'movie (s)') return 'shutterPriority';
  if (v === 'p' || v === 'program' || v === 'movie (p)') return 'program';
  return 'automatic';
}

/** Roles the camera decides itself in a dial position (used to explain a read-only control). */
export function rolesSetByCamera(kind: ModeKind): readonly SettingRole[] {
  switch (kind) {
    case 'manual':
      return [];
    case 'aperturePriority':
      return ['shutter'];
    case 'shutterPriority':
      return ['aperture'];
    case 'program':
      return ['shutter', 'aperture'];
    case 'automatic':
      return ['shutter', 'aperture', 'iso', 'exposureCompensation'];
  }
}
