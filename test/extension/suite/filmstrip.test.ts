/**
 * The Camera panel's filmstrip, observed in the real browser page (the code-server runner reads the
 * panel's DOM, see ../workbenchQuery.ts): a 200-frame roll (JPEG files made on disk) opens in
 * capture order, only the thumbnails near view are loaded, clicking the last frame scrolls there and
 * shows it large; Reject from the strip moves the frame aside; a capture and a test capture appear
 * in their strips; the histogram analyses the frame on screen; the negative mode is kept per roll.
 * The strip reports what it loaded on its root element (data-frames, data-loaded, data-held).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { renderRaw } from '../../../src/simulator/image/rawFile';
import { renderStill, encodeJpeg } from '../../../src/simulator/image/testCard';
import type { RgbaImage } from '../../../src/simulator/image/rgbaImage';
import { run, simulatorConfig, until } from '../cameraCommands';
import { screenshotServiceAvailable, takeScreenshot } from '../screenshot';
import { type FoundElement, queryServiceAvailable, queryWorkbench, waitForWorkbench } from '../workbenchQuery';

interface State {
  roll: string;
  folder: string;
  outputFolder: string;
  nextFrame: number;
}

const FRAMES = 200;
const ROLL = 'filmstrip-200';
const OTHER_ROLL = 'filmstrip-other';
const NEGATIVE_ROLL = 'filmstrip-colour-negative';
/** The orange mask of a colour negative film: what the unexposed rebate records. */
const BASE: [number, number, number] = [224, 150, 96];

/**
 * The test card as a colour negative scanned with a camera: each channel's transmission is the film
 * base's times (1 - the positive's value), inside an unexposed rebate of plain film base.
 */
function asColourNegative(img: RgbaImage): RgbaImage {
  const { width, height, data } = img;
  const rebate = Math.round(height * 0.08);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const edge = y < rebate || y >= height - rebate;
      for (let c = 0; c < 3; c++) data[i + c] = Math.round(BASE[c] * (edge ? 1 : 1 - 0.9 * (data[i + c] / 255)));
    }
  }
  return img;
}

const getState = () => run<State>('getState');
const q = (selector: string, click = false) => queryWorkbench({ selector, scope: 'webviews', click });
const num = (e: FoundElement | undefined, key: string) => Number(e?.attributes[`data-${key}`] ?? NaN);

/** Waits until the first match of `selector` passes `accept`. */
function waitFor(what: string, selector: string, accept: (e: FoundElement) => boolean, timeoutMs = 60_000) {
  return waitForWorkbench(
    what,
    { selector, scope: 'webviews' },
    (found) => (found[0] && accept(found[0]) ? found[0] : undefined),
    timeoutMs,
  );
}

/** Writes frame-0001.jpg ... as a camera would have (the default filename pattern), each with its number. */
function writeRoll(
  folder: string,
  frames: number,
  look: (img: RgbaImage) => RgbaImage = (img) => img,
  width = 320,
): void {
  fs.rmSync(folder, { recursive: true, force: true });
  fs.mkdirSync(folder, { recursive: true });
  const when = new Date(2026, 11, 1, 10, 0, 0);
  for (let n = 1; n <= frames; n++) {
    const jpeg = encodeJpeg(look(renderStill(width, Math.round((width * 2) / 3), `FRAME ${n}`, when)), 80);
    fs.writeFileSync(path.join(folder, `frame-${String(n).padStart(4, '0')}.jpg`), jpeg);
  }
}

describe('The filmstrip (observed in the browser)', function () {
  this.timeout(240_000);
  let folder = '';

  before(async function () {
    if (!queryServiceAvailable()) {
      console.log('    (skipped: reading the page needs the code-server runner, `npm run test:extension`)');
      this.skip();
    }
    simulatorConfig({ captureWidth: 320, captureHeight: 213, previewWidth: 160, previewHeight: 106 });
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
    const s = await getState();
    folder = path.join(s.outputFolder, ROLL);
    writeRoll(folder, FRAMES);
    await run('setCurrentRoll', ROLL);
    await run('openPanel');
  });
  after(() => simulatorConfig({}));

  it(`a ${FRAMES}-frame roll opens in capture order; only thumbnails near view load; the last frame scrolls into view`, async () => {
    const strip = await waitFor('the strip to list the roll', '#filmstrip', (e) => num(e, 'frames') === FRAMES);
    assert.ok(strip.visible, 'the filmstrip is shown');
    const items = await q('#strip-frames .thumb');
    assert.deepStrictEqual(
      items.map((e) => Number(e.attributes['data-frame'])),
      Array.from({ length: FRAMES }, (_, i) => i + 1),
      'every frame, in capture order',
    );
    assert.strictEqual(items[0].text.trim(), '1', 'each item prints its frame label');
    const first = await waitFor('the first thumbnails to load', '#filmstrip', (e) => num(e, 'loaded') >= 3);
    const firstImg = (await q('#strip-frames .thumb[data-frame="1"] img'))[0];
    assert.ok(firstImg && (firstImg.natural?.width ?? 0) > 0, 'frame 1 shows its thumbnail');
    assert.ok((firstImg.natural?.width ?? 0) <= 256, `a thumbnail, not the full picture (${firstImg.natural?.width})`);
    assert.ok(num(first, 'held') < FRAMES / 2, `only items near view hold a thumbnail (${num(first, 'held')})`);
    assert.strictEqual(
      (await q(`#strip-frames .thumb[data-frame="${FRAMES}"] img`)).length,
      0,
      'the last frame, far out of view, has not loaded',
    );

    await q(`#strip-frames .thumb[data-frame="${FRAMES}"]`, true);
    const last = await waitFor(
      'the last frame to scroll into view and load',
      `#strip-frames .thumb[data-frame="${FRAMES}"] img`,
      (e) => (e.natural?.width ?? 0) > 0,
    );
    assert.ok(last.visible);
    const caption = await waitFor('the frame shown large', '#caption', (e) => e.text.startsWith(`Frame ${FRAMES}`));
    assert.match(caption.text, new RegExp(`frame-0${FRAMES}\\.jpg`));
    const picture = await waitFor('the full picture', '#preview', (e) => e.visible && e.natural?.width === 320);
    assert.ok(picture.box.width > 100, 'shown large');
    const after = (await q('#filmstrip'))[0];
    console.log(
      `    filmstrip of ${FRAMES} frames: ${num(first, 'loaded')} thumbnails loaded at open, ${num(after, 'loaded')} after scrolling to the end, ${num(after, 'held')} held`,
    );
    assert.ok(num(after, 'loaded') < FRAMES, `scrolling to the end did not load every frame (${num(after, 'loaded')})`);
    assert.ok(num(after, 'held') < FRAMES / 2, `thumbnails far out of view are let go (${num(after, 'held')} held)`);
  });

  it('the histogram analyses the frame on screen (in its worker)', async () => {
    await q('#btn-histogram', true);
    const h = await waitFor('the histogram of the frame', '#histogram', (e) => e.visible && num(e, 'analysed') >= 1);
    assert.ok(h.box.width > 0);
    await q('#btn-histogram', true);
    await waitFor('the histogram hidden', '#histogram', (e) => !e.visible);
  });

  it('Reject in the strip moves the selected frame to rejected/; the strip follows', async () => {
    await q('#btn-reject-frame', true);
    await waitFor('the strip without the rejected frame', '#filmstrip', (e) => num(e, 'frames') === FRAMES - 1);
    assert.ok(!fs.existsSync(path.join(folder, `frame-0${FRAMES}.jpg`)), 'the file left the roll');
    const rejected = fs.readdirSync(path.join(folder, 'rejected'));
    assert.ok(
      rejected.some((d) => fs.readdirSync(path.join(folder, 'rejected', d)).includes(`frame-0${FRAMES}.jpg`)),
      `the file is in rejected/ (${rejected.join(', ')})`,
    );
  });

  it('a capture joins the end of the strip; a test capture goes to its own strip', async () => {
    const c = await run<{ frame: number }>('capture');
    await waitFor('the capture in the strip', `#strip-frames .thumb[data-frame="${c.frame}"]`, () => true);
    await run('testCapture');
    const tests = await waitForWorkbench(
      'the test strip',
      { selector: '#strip-tests .thumb', scope: 'webviews' },
      (found) => (found.length >= 1 && found[0].visible ? found : undefined),
    );
    await q(`#strip-tests .thumb[data-key="${tests.at(-1)?.attributes['data-key'] ?? ''}"]`, true);
    await waitFor('the test capture shown large', '#caption', (e) => e.text.startsWith('Test capture'));
  });

  it('the negative mode is remembered per roll', async () => {
    await q('#btn-negative', true);
    await waitFor('B&W negative', '#btn-negative', (e) => e.attributes['data-mode'] === 'bw');
    assert.strictEqual(
      (await queryWorkbench({ selector: 'body', scope: 'webviews' })).some(
        (b) => b.attributes['data-negative'] === 'on',
      ),
      true,
    );
    await run('setCurrentRoll', OTHER_ROLL);
    await waitFor('the other roll as a slide', '#btn-negative', (e) => e.attributes['data-mode'] === 'slide');
    await run('setCurrentRoll', ROLL);
    await waitFor('this roll as a B&W negative again', '#btn-negative', (e) => e.attributes['data-mode'] === 'bw');
    // Back to slide, as the other suites expect.
    await q('#btn-negative', true);
    await q('#btn-negative', true);
    await waitFor('slide', '#btn-negative', (e) => e.attributes['data-mode'] === 'slide');
    await until('the roll view stored', async () => ((await getState()).roll === ROLL ? true : undefined));
  });

  it('colour negative: the film base clicked removes the orange mask (screenshot for the README)', async () => {
    const negFolder = path.join((await getState()).outputFolder, NEGATIVE_ROLL);
    writeRoll(negFolder, 36, asColourNegative, 960);
    await run('setCurrentRoll', NEGATIVE_ROLL);
    await waitFor('the negative roll in the strip', '#filmstrip', (e) => num(e, 'frames') === 36);
    await q('#strip-frames .thumb[data-frame="12"]', true);
    await waitFor('frame 12 large', '#caption', (e) => e.text.startsWith('Frame 12'));
    await waitFor('frame 12 decoded', '#preview', (e) => e.natural?.width === 960);
    await q('#btn-negative', true); // B&W negative
    await q('#btn-negative', true); // colour negative: asks for the film base
    await waitFor('the film base hint', '#caption', (e) => e.attributes['data-kind'] === 'hint');
    await waitFor('the base button pressed', '#btn-film-base', (e) => e.attributes['aria-pressed'] === 'true');
    // The rebate, top left: the worker samples the recorded colour there.
    await queryWorkbench({ selector: '#preview', scope: 'webviews', clickAt: { x: 0.1, y: 0.03 } });
    await waitFor('the film base picked', '#btn-film-base', (e) => e.attributes['aria-pressed'] === 'false');
    const caption = await waitFor('the hint gone', '#caption', (e) => e.attributes['data-kind'] !== 'hint');
    assert.match(caption.text, /^Frame 12/);
    assert.strictEqual((await q('#btn-negative'))[0]?.attributes['data-mode'], 'colour');
    await q('#btn-histogram', true);
    await waitFor('the histogram of the frame', '#histogram', (e) => e.visible && num(e, 'analysed') >= 1);
    if (screenshotServiceAvailable()) {
      // Earlier suites' notifications would cover the panel in the README's picture.
      await vscode.commands.executeCommand('notifications.clearAll');
      await takeScreenshot('panel-colour-negative');
    }
    await q('#btn-histogram', true);
    // Slide again, for the suites after this one.
    await q('#btn-negative', true);
    await waitFor('slide', '#btn-negative', (e) => e.attributes['data-mode'] === 'slide');
  });

  it('framing aids: rotate and mirror turn the view (remembered per roll), onion skin, magnifier, focus peaking', async () => {
    await q('#strip-frames .thumb[data-frame="3"]', true);
    const before = await waitFor('frame 3 large', '#preview', (e) => e.visible && e.natural?.width === 960);
    await q('#btn-rotate', true);
    const turned = await waitFor('the view turned a quarter', '#frame', (e) => e.box.height > e.box.width);
    assert.ok(
      before.box.width > before.box.height && turned.box.height > turned.box.width,
      'landscape shown as portrait',
    );
    await q('#btn-mirror', true);
    await waitFor('mirror on', '#btn-mirror', (e) => e.attributes['aria-pressed'] === 'true');
    await run('setCurrentRoll', OTHER_ROLL);
    await waitFor(
      'the other roll unturned, unmirrored',
      '#btn-mirror',
      (e) => e.attributes['aria-pressed'] === 'false',
    );
    await run('setCurrentRoll', NEGATIVE_ROLL);
    await waitFor('this roll mirrored again', '#btn-mirror', (e) => e.attributes['aria-pressed'] === 'true');
    for (let i = 0; i < 3; i++) await q('#btn-rotate', true); // back to 0 degrees
    await q('#btn-mirror', true);
    await waitFor('mirror off', '#btn-mirror', (e) => e.attributes['aria-pressed'] === 'false');
    // Switching rolls let go of the frame on screen: choose it again.
    await q('#strip-frames .thumb[data-frame="3"]', true);
    await waitFor('frame 3 large again', '#preview', (e) => e.visible && e.natural?.width === 960);

    await q('#btn-onion', true);
    const onion = await waitFor('the onion skin', '#onion', (e) => e.visible && (e.natural?.width ?? 0) > 0);
    assert.match(
      decodeURIComponent(onion.attributes.src ?? ''),
      /frame-0036\.jpg$/,
      "the previous frame: the roll's last",
    );
    await q('#btn-onion', true);
    await waitFor('no onion skin', '#onion', (e) => !e.visible);

    await q('#btn-magnifier', true);
    await waitFor('the magnifier at 2x', '#magnifier', (e) => e.visible && e.attributes['data-zoom'] === '2');
    await queryWorkbench({ selector: '#preview', scope: 'webviews', clickAt: { x: 0.25, y: 0.75 } });
    const loupe = await waitFor('the point looked at', '#magnifier', (e) => e.attributes['data-x'] !== undefined);
    assert.ok(Math.abs(Number(loupe.attributes['data-x']) - 0.25) < 0.02, `x ${loupe.attributes['data-x']}`);
    assert.ok(Math.abs(Number(loupe.attributes['data-y']) - 0.75) < 0.02, `y ${loupe.attributes['data-y']}`);
    for (let i = 0; i < 3; i++) await q('#btn-magnifier', true); // 5x, 10x, off
    await waitFor('the magnifier off', '#magnifier', (e) => !e.visible);

    const analysedBefore = num((await q('#histogram'))[0], 'analysed');
    await q('#btn-peaking', true);
    await waitFor('peaking drawn', '#analysis-overlay', (e) => e.visible);
    await waitFor('the frame analysed for peaking', '#histogram', (e) => num(e, 'analysed') > analysedBefore);
    await q('#btn-peaking', true);
    await waitFor('peaking off', '#analysis-overlay', (e) => !e.visible);
  });

  it('the histogram follows live view (frames handed to its worker)', async () => {
    await run('startLiveView');
    try {
      await waitFor('live view on screen', '#live-frame', (e) => e.visible);
      const [before] = await q('#histogram');
      await q('#btn-histogram', true);
      const h = await waitFor(
        'live frames analysed',
        '#histogram',
        (e) => e.visible && num(e, 'analysed') >= num(before, 'analysed') + 5,
      );
      assert.ok(h.visible);
    } finally {
      await q('#btn-histogram', true);
      await run('stopLiveView');
    }
  });

  it('a RAW-only frame shows the preview embedded in the RAW; a RAW without one shows its name', async () => {
    const rawFolder = path.join((await getState()).outputFolder, 'filmstrip-raw');
    fs.rmSync(rawFolder, { recursive: true, force: true });
    fs.mkdirSync(rawFolder, { recursive: true });
    const jpeg = encodeJpeg(renderStill(480, 320, 'RAW 1', new Date(2026, 11, 1)), 80);
    fs.writeFileSync(
      path.join(rawFolder, 'frame-0001.NEF'),
      renderRaw('Nikon D750', 6016, 4016, 1, { jpeg, width: 480, height: 320 }),
    );
    fs.writeFileSync(path.join(rawFolder, 'frame-0002.NEF'), renderRaw('Nikon D750', 6016, 4016, 2));
    await run('setCurrentRoll', 'filmstrip-raw');
    await waitFor('the RAW roll in the strip', '#filmstrip', (e) => num(e, 'frames') === 2);
    await waitFor(
      "frame 1's embedded preview",
      '#strip-frames .thumb[data-frame="1"] img',
      (e) => (e.natural?.width ?? 0) > 0,
    );
    await waitFor("frame 2's name instead of a picture", '#strip-frames .thumb[data-frame="2"] .pic.none', (e) =>
      e.text.includes('frame-0002.NEF'),
    );
    await q('#strip-frames .thumb[data-frame="1"]', true);
    const caption = await waitFor('frame 1 large', '#caption', (e) => e.text.startsWith('Frame 1'));
    assert.match(caption.text, /embedded preview/);
    await q('#strip-frames .thumb[data-frame="2"]', true);
    await waitFor('no preview said', '#placeholder', (e) => e.visible && e.text.includes('no preview in this file'));
  });
});
