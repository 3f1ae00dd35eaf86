/**
 * The extension's setting ids. The camera and capture layers name a setting in an error (the fix
 * the user opens) through these, so no other layer spells them.
 */
export const SECTION = 'cameraTether';

export const SETTING_IDS = {
  gphoto2Path: `${SECTION}.gphoto2Path`,
  port: `${SECTION}.port`,
  outputFolder: `${SECTION}.outputFolder`,
  filenamePattern: `${SECTION}.filenamePattern`,
  connection: `${SECTION}.connection`,
  sessionIdleSeconds: `${SECTION}.sessionIdleSeconds`,
} as const;
