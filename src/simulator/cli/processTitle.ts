/**
 * Imported first by main.ts so it runs before any other module: the process reaper finds
 * simulators by this exact name (on Linux it becomes /proc/PID/comm). A benchmark may give its
 * simulators a name of their own (CAMERA_TETHER_SIM_TITLE, at most 15 characters) so that a test
 * run beside it, whose cleanup stops this user's processes named gphoto2-sim, leaves them alone.
 */
const title = process.env.CAMERA_TETHER_SIM_TITLE;
process.title = title && /^[\w.-]{1,15}$/.test(title) ? title : 'gphoto2-sim';
