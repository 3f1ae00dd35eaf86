/**
 * Imported first by main.ts so it runs before any other module: the process reaper finds
 * simulators by this exact name (on Linux it becomes /proc/PID/comm).
 */
process.title = 'gphoto2-sim';
