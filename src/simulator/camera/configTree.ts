/**
 * A small camera configuration tree for --list-config / --get-config / --set-config, printed in
 * gphoto2's formats. Settings are accepted but not remembered between runs.
 */
import type { GpContext } from '../cli/gpContext';
import { GpError, GP_ERROR, GP_ERROR_BAD_PARAMETERS, GP_ERROR_CAMERA_BUSY } from '../cli/gpError';
import { DEVICE_BUSY_MESSAGE } from '../cli/outputTexts';

interface Widget {
  path: string;
  label: string;
  type: 'TEXT' | 'RADIO' | 'TOGGLE' | 'DATE';
  readonly: boolean;
  current: string;
  choices?: readonly string[];
}

function tree(gp: GpContext): Widget[] {
  const c = gp.camera.config;
  const now = Math.floor(Date.now() / 1000);
  return [
    {
      path: '/main/actions/autofocusdrive',
      label: 'Drive Nikon DSLR Autofocus',
      type: 'TOGGLE',
      readonly: false,
      current: '0',
    },
    { path: '/main/actions/viewfinder', label: 'Nikon Viewfinder', type: 'TOGGLE', readonly: false, current: '0' },
    {
      path: '/main/settings/datetime',
      label: 'Camera Date and Time',
      type: 'DATE',
      readonly: false,
      current: String(now),
    },
    {
      path: '/main/settings/capturetarget',
      label: 'Capture Target',
      type: 'RADIO',
      readonly: false,
      current: 'Memory card',
      choices: ['Internal RAM', 'Memory card'],
    },
    { path: '/main/status/serialnumber', label: 'Serial Number', type: 'TEXT', readonly: true, current: 'SIM00000001' },
    {
      path: '/main/status/manufacturer',
      label: 'Camera Manufacturer',
      type: 'TEXT',
      readonly: true,
      current: 'Camera Tether',
    },
    { path: '/main/status/cameramodel', label: 'Camera Model', type: 'TEXT', readonly: true, current: c.model },
    { path: '/main/status/batterylevel', label: 'Battery Level', type: 'TEXT', readonly: true, current: '100%' },
    {
      path: '/main/imgsettings/imageformat',
      label: 'Image Quality',
      type: 'RADIO',
      readonly: false,
      current: c.raw ? 'NEF+Fine' : 'JPEG Fine',
      choices: ['JPEG Basic', 'JPEG Normal', 'JPEG Fine', 'NEF (Raw)', 'NEF+Basic', 'NEF+Normal', 'NEF+Fine'],
    },
    {
      path: '/main/imgsettings/iso',
      label: 'ISO Speed',
      type: 'RADIO',
      readonly: false,
      current: '100',
      choices: ['100', '200', '400', '800', '1600', '3200'],
    },
    {
      path: '/main/capturesettings/f-number',
      label: 'F-Number',
      type: 'RADIO',
      readonly: false,
      current: 'f/5.6',
      choices: ['f/3.5', 'f/4', 'f/5.6', 'f/8', 'f/11'],
    },
    {
      path: '/main/capturesettings/shutterspeed',
      label: 'Shutter Speed',
      type: 'RADIO',
      readonly: false,
      current: '1/60',
      choices: ['1/250', '1/125', '1/60', '1/30', '1/15'],
    },
  ];
}

async function open(gp: GpContext): Promise<Widget[]> {
  await gp.camera.ensureOpen();
  gp.session.checkpoint();
  if (gp.camera.config.busy) throw new GpError(GP_ERROR_CAMERA_BUSY, DEVICE_BUSY_MESSAGE);
  return tree(gp);
}

/** By name ("iso"), by label ("ISO Speed") or by path ("/main/imgsettings/iso"). */
function find(widgets: Widget[], name: string): Widget {
  const w = widgets.find((x) => x.path.endsWith(`/${name.replace(/^\/+/, '')}`) || x.label === name);
  if (!w) {
    // gphoto2 cuts the path at its first unresolved separator when it reports (it walks it with
    // strchr/'\0'), so "/main/no/such" is reported as "/main".
    const bare = name.replace(/^\/+/, '');
    const cut = bare.indexOf('/');
    const shown = cut >= 0 ? name.slice(0, name.length - bare.length + cut) : name;
    throw new GpError(GP_ERROR, `${shown} not found in configuration tree.`);
  }
  return w;
}

export async function listConfig(gp: GpContext): Promise<void> {
  const widgets = await open(gp);
  gp.session.out(widgets.map((w) => `${w.path}\n`).join(''));
}

export async function getConfig(gp: GpContext, name: string): Promise<void> {
  const w = find(await open(gp), name);
  let text = `Label: ${w.label}\nReadonly: ${w.readonly ? 1 : 0}\nType: ${w.type}\nCurrent: ${w.current}\n`;
  if (w.type === 'DATE') {
    text += `Printable: ${new Date(Number(w.current) * 1000).toString()}\nHelp: Use 'now' as the current time when setting.\n`;
  }
  (w.choices ?? []).forEach((c, i) => (text += `Choice: ${i} ${c}\n`));
  gp.session.out(`${text}END\n`);
}

/** --set-config NAME=VALUE (also -index and -value): accepted when the value fits the widget. */
export async function setConfig(gp: GpContext, assignment: string): Promise<void> {
  const eq = assignment.indexOf('=');
  if (eq < 0) throw new GpError(GP_ERROR_BAD_PARAMETERS);
  const w = find(await open(gp), assignment.slice(0, eq));
  const value = assignment.slice(eq + 1);
  if (w.choices && !w.choices.includes(value) && !(/^\d+$/.test(value) && Number(value) < w.choices.length)) {
    throw new GpError(GP_ERROR_BAD_PARAMETERS, `Choice ${value} not found within list of choices.`);
  }
}
