/**
 * Camera settings (issue 11): read the whole configuration in one gphoto2 run, write several
 * settings and read them back in one run, and keep a roll's exposure. No vscode here; the queue
 * passes its runner to the jobs (see settingsJobs.ts).
 */
export {
  parseConfigListing,
  parseGetConfigBlocks,
  lastSegment,
  type ConfigWidget,
  type WidgetType,
} from './configParser';
export {
  EXPOSURE_ROLES,
  MODE_DIAL_NAMES,
  ROLE_ALIASES,
  SETTING_ROLES,
  isSettingRole,
  modeKind,
  type ModeKind,
  type SettingRole,
} from './roles';
export {
  closeNames,
  modeDial,
  resolveSetting,
  settingsByRole,
  settingsFromWidgets,
  type CameraSetting,
  type SettingType,
} from './settings';
export {
  commandLineName,
  getSettingsArgs,
  planWrite,
  planWrites,
  readAllSettingsArgs,
  setThenGetArgs,
  withExposureLock,
  writeSettingsArgs,
  type PlannedWrite,
  type SettingWrite,
} from './configArgs';
export {
  classifyMessage,
  contextMessages,
  setConfigMessages,
  withoutSettingMessages,
  type SetConfigMessage,
} from './configMessages';
export {
  applyExposureLock,
  checkExposureLock,
  judgeWrites,
  lockedExposure,
  readCameraSettings,
  writeCameraSettings,
  type AppliedSetting,
  type Gphoto2RunResult,
  type Judged,
  type LockCheck,
  type LockedExposure,
  type RunGphoto2,
  type WriteResult,
} from './settingsJobs';
