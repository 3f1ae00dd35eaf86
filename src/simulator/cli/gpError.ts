/** A libgphoto2 result code with the context error message libgphoto2 printed for it, if any. */
export class GpError extends Error {
  constructor(
    readonly code: number,
    readonly contextMessage?: string,
  ) {
    super(contextMessage ?? `gphoto2 error ${code}`);
  }
}

export const GP_ERROR = -1;
export const GP_ERROR_BAD_PARAMETERS = -2;
export const GP_ERROR_NO_MEMORY = -3;
export const GP_ERROR_UNKNOWN_PORT = -5;
export const GP_ERROR_NOT_SUPPORTED = -6;
export const GP_ERROR_IO_USB_CLAIM = -53;
export const GP_ERROR_IO_LOCK = -60;
export const GP_ERROR_FILE_NOT_FOUND = -108;
export const GP_ERROR_MODEL_NOT_FOUND = -105;
export const GP_ERROR_CAMERA_BUSY = -110;
export const GP_ERROR_CANCEL = -112;
export const GP_ERROR_OS_FAILURE = -114;
export const GP_ERROR_NO_SPACE = -115;

/** capture_generic() gives up (and gphoto2 exits 1) only for these; any other capture error still exits 0. */
export const FATAL_CAPTURE_ERRORS: ReadonlySet<number> = new Set([
  GP_ERROR_NOT_SUPPORTED,
  GP_ERROR_NO_MEMORY,
  GP_ERROR_CANCEL,
  GP_ERROR_NO_SPACE,
  GP_ERROR_IO_USB_CLAIM,
  GP_ERROR_IO_LOCK,
  GP_ERROR_CAMERA_BUSY,
  GP_ERROR_OS_FAILURE,
]);
