// The preview panel's webview security, checked on the HTML and options the extension really gave
// VS Code. There is no public API to find another component's webview panel, so this suite wraps
// vscode.window.createWebviewPanel for the moment it opens the panel (the extension and this test
// file live in one extension folder and so share one `vscode` API object) and reads the panel's
// webview.html and webview.options. Nothing is added to src/.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { run, until } from '../cameraCommands';

interface State {
  outputFolder: string;
  panel: { open: boolean };
}

const getState = () => run<State>('getState');

type CreatePanel = typeof vscode.window.createWebviewPanel;

/**
 * Opens the Camera panel fresh (closing it first) and returns the WebviewPanel the extension made.
 * Undefined when the API object cannot be wrapped (then the suite skips and says why).
 */
async function openFreshPanel(): Promise<vscode.WebviewPanel | undefined> {
  await closePanel();
  const win = vscode.window as unknown as Record<string, unknown>;
  const original = win.createWebviewPanel as CreatePanel;
  let made: vscode.WebviewPanel | undefined;
  const wrapper: CreatePanel = (...args: Parameters<CreatePanel>) => {
    const panel = original.apply(vscode.window, args);
    if (args[0] === 'cameraTether.preview') made = panel;
    return panel;
  };
  try {
    win.createWebviewPanel = wrapper;
  } catch {
    return undefined; // a frozen API object
  }
  try {
    if (vscode.window.createWebviewPanel !== wrapper) return undefined;
    await run('openPanel');
    return await until('the extension to create its panel', () => made, 10_000).catch(() => undefined);
  } finally {
    win.createWebviewPanel = original;
  }
}

async function closePanel(): Promise<void> {
  if (!(await getState()).panel.open) return;
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await until('the panel to close', async () => ((await getState()).panel.open ? undefined : true));
}

function cspOf(html: string): Map<string, string[]> {
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>/gi)];
  assert.strictEqual(metas.length, 1, 'exactly one CSP meta tag');
  const directives = new Map<string, string[]>();
  for (const part of metas[0][1].split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    assert.ok(!directives.has(name), `directive ${name} appears once`);
    directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

const nonceOf = (csp: Map<string, string[]>): string => {
  const nonces = (csp.get('script-src') ?? [])
    .map((s) => /^'nonce-([A-Za-z0-9+/=_-]+)'$/.exec(s)?.[1])
    .filter((n): n is string => n !== undefined);
  assert.strictEqual(nonces.length, 1, 'one nonce in script-src');
  return nonces[0];
};

describe('Preview panel webview security', function () {
  this.timeout(60_000);
  let panel: vscode.WebviewPanel | undefined;
  let html = '';
  let csp: Map<string, string[]>;
  let cspSource: string[];

  before(async function () {
    await vscode.extensions.getExtension('camera-tether.camera-tether')?.activate();
    panel = await openFreshPanel();
    if (!panel) {
      // Fallback that needs a src hook: see the report (export the HTML builder from previewPanel.ts).
      console.log(
        "    (skipped: vscode.window.createWebviewPanel could not be wrapped in this host, so the panel's HTML is out of reach)",
      );
      this.skip();
    }
    html = panel.webview.html;
    csp = cspOf(html);
    cspSource = panel.webview.cspSource.split(/\s+/).filter(Boolean);
  });

  after(async () => {
    await closePanel();
  });

  it('the Content-Security-Policy comes first in <head>, before anything it governs', () => {
    const head = /<head>([\s\S]*?)<\/head>/i.exec(html)?.[1] ?? '';
    const cspAt = head.search(/http-equiv="Content-Security-Policy"/i);
    assert.ok(cspAt >= 0, 'the CSP is in <head>');
    for (const tag of ['<script', '<link', '<style', '<img', '<base']) {
      const at = html.toLowerCase().indexOf(tag);
      assert.ok(at < 0 || at > html.indexOf('Content-Security-Policy'), `${tag} only after the CSP`);
    }
  });

  it("default-src 'none'; scripts only by nonce; no 'unsafe-*', no wildcard or remote sources", () => {
    assert.deepStrictEqual(csp.get('default-src'), ["'none'"]);
    const nonce = nonceOf(csp);
    assert.deepStrictEqual(csp.get('script-src'), [`'nonce-${nonce}'`], 'script-src is the nonce and nothing else');
    assert.ok(Buffer.from(nonce, 'base64').length >= 16, `the nonce has at least 128 bits (${nonce})`);
    const allowed = new Set([...cspSource, "'none'", 'blob:', 'data:', `'nonce-${nonce}'`]);
    for (const [name, sources] of csp) {
      for (const s of sources) {
        assert.ok(!/unsafe-|strict-dynamic|wasm/.test(s), `${name} has no ${s}`);
        assert.ok(allowed.has(s), `${name}: "${s}" is one of the webview's own sources, blob:, data: or the nonce`);
      }
      // The picture analysis Worker is made from a blob (a webview cannot start one from its resource URIs).
      if (name === 'worker-src') assert.deepStrictEqual(sources, ['blob:'], 'workers only from blob: URLs');
      else if (name !== 'img-src' && name !== 'media-src')
        for (const s of sources) assert.ok(s !== 'data:' && s !== 'blob:', `${name} does not allow ${s}`);
    }
    assert.ok(!(csp.get('style-src') ?? []).some((s) => s.includes('unsafe-inline')), 'no inline styles');
  });

  it('every <script> carries the nonce, loads the bundled panel script from the extension and has no inline code', () => {
    const nonce = nonceOf(csp);
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    assert.ok(scripts.length >= 1, 'the panel has its script');
    for (const [, attrs, body] of scripts) {
      assert.match(
        attrs,
        new RegExp(`\\bnonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`),
        `script has the nonce: ${attrs}`,
      );
      assert.strictEqual(body.trim(), '', 'no inline script code');
      const src = /\bsrc="([^"]+)"/.exec(attrs)?.[1] ?? '';
      assert.match(src, /dist\/webview\/panel\.js$/, `the bundled panel script: ${src}`);
    }
  });

  it('markup integrity: element ids are unique, and every id the panel script looks up is there exactly once', () => {
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepStrictEqual(repeated, [], 'an id used twice makes getElementById return the wrong element');
    const extension = vscode.extensions.getExtension('camera-tether.camera-tether');
    const script = fs.readFileSync(path.join(extension?.extensionPath ?? '', 'media', 'panel.ts'), 'utf8');
    const looked = [...script.matchAll(/\bel(?:<[^>]+>)?\('([^']+)'\)/g)].map((m) => m[1]);
    assert.ok(looked.length >= 10, `the script's el('...') lookups were found (${looked.length})`);
    for (const id of new Set(looked)) assert.ok(ids.includes(id), `the panel markup has #${id}`);
  });

  it('no inline event handlers, javascript: URLs, frames, objects or <base>', () => {
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no on*= handlers');
    assert.doesNotMatch(html, /javascript:/i);
    assert.doesNotMatch(html, /<(iframe|frame|object|embed|base|form)\b/i);
    assert.doesNotMatch(html, /<style\b/i, 'no inline <style>');
    assert.doesNotMatch(html, /\sstyle\s*=/i, 'no style attributes');
  });

  it('every resource the page loads is a webview resource URI of the extension, never a remote or file: URL', () => {
    const urls = [...html.matchAll(/\s(?:src|href)="([^"]*)"/gi)].map((m) => m[1]);
    assert.ok(urls.length >= 2, `the page loads its script and stylesheet (${urls.join(', ')})`);
    for (const url of urls) {
      assert.doesNotMatch(url, /^(file:|http:)/i, url);
      const expected = panel
        ? panel.webview
            .asWebviewUri(
              vscode.Uri.joinPath(
                vscode.extensions.getExtension('camera-tether.camera-tether')?.extensionUri ?? vscode.Uri.file('/'),
                /\/media\/[a-z]+\.css$/.test(url) ? `media/${url.replace(/^.*\//, '')}` : 'dist/webview/panel.js',
              ),
            )
            .toString()
        : '';
      assert.strictEqual(url, expected, 'made by asWebviewUri from the extension folder');
    }
  });

  it("webview options: scripts on, command URIs off, resources only from the extension's media and bundle, the preview folder and the output folder", async () => {
    assert.ok(panel);
    const options = panel.webview.options;
    assert.strictEqual(options.enableScripts, true);
    assert.notStrictEqual(options.enableCommandUris, true, 'command: links would let the page run any command');
    assert.ok(
      options.enableCommandUris === undefined ||
        options.enableCommandUris === false ||
        (Array.isArray(options.enableCommandUris) && options.enableCommandUris.length === 0),
    );
    const roots = (options.localResourceRoots ?? []).map((u) => u.fsPath);
    assert.ok(roots.length > 0, 'localResourceRoots is set (the default would be the whole workspace and extension)');
    const ext = vscode.extensions.getExtension('camera-tether.camera-tether')?.extensionUri.fsPath ?? '';
    const output = (await getState()).outputFolder;
    const home = process.env.HOME ?? '/root';
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    for (const root of roots) {
      assert.ok(path.isAbsolute(root), root);
      for (const tooWide of ['/', home, ext, path.dirname(ext), ...(workspace ? [workspace] : [])]) {
        assert.notStrictEqual(path.resolve(root), path.resolve(tooWide), `${root} is not a whole tree like ${tooWide}`);
      }
      const allowed =
        root === path.join(ext, 'media') ||
        root === path.join(ext, 'dist', 'webview') ||
        path.resolve(root) === path.resolve(output) ||
        /[\\/]previews[\\/]\d+$/.test(root);
      assert.ok(allowed, `${root} is the extension's media or bundle folder, the output folder or the preview folder`);
    }
    assert.ok(roots.includes(path.join(ext, 'dist', 'webview')), 'the bundle folder is there (the script loads)');
  });

  it('a fresh nonce every time the page is built', async () => {
    const again = await openFreshPanel();
    assert.ok(again, 'the panel was opened again');
    const second = nonceOf(cspOf(again.webview.html));
    assert.notStrictEqual(second, nonceOf(csp), 'the nonce is not reused');
    panel = again;
  });
});
