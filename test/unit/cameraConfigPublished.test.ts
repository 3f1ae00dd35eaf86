// The settings parser and the role table against published --list-all-config outputs of real
// Canon, Nikon, Sony and Fuji bodies (libgphoto2's camlibs/ptp2/cameras/, see
// test/fixtures/gphoto2-config/published.json for each URL). The texts are libgphoto2's and are not
// committed here: get-published.mjs extracts them from a libgphoto2 git checkout and checks their
// sha256; without them these tests skip and say how to get them.
import * as assert from 'assert';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseConfigListing, settingsFromWidgets, modeDial, type SettingRole } from '../../src/camera/config';
import { PROJECT_ROOT } from '../support/simulatorHarness';

interface RoleExpectation {
  name: string;
  value: string;
  choices?: number;
  readonly?: boolean;
  type?: string;
  max?: number;
  disabledBy?: 'modeDial';
}

interface Listing {
  id: string;
  vendor: string;
  model: string;
  url: string;
  sha256: string;
  expect: {
    settings: number;
    modeDial?: { name: string; value: string; readonly?: boolean };
    roles: Partial<Record<SettingRole, RoleExpectation>>;
    noRoles?: SettingRole[];
  };
}

const DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'gphoto2-config');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(DIR, 'published.json'), 'utf8')) as { listings: Listing[] };

function textOf(l: Listing): string | undefined {
  const file = path.join(DIR, 'published', `${l.id}.txt`);
  if (!fs.existsSync(file)) return undefined;
  const text = fs.readFileSync(file, 'utf8');
  assert.strictEqual(createHash('sha256').update(text).digest('hex'), l.sha256, `${file} is not the published text`);
  return text;
}

describe('camera settings: published --list-all-config of real bodies (libgphoto2 camlibs/ptp2/cameras)', () => {
  it('covers Canon, Nikon, Sony and Fuji, each with its source URL', () => {
    const vendors = new Set(MANIFEST.listings.map((l) => l.vendor));
    for (const v of ['Canon', 'Nikon', 'Sony', 'Fujifilm']) assert.ok(vendors.has(v), v);
    for (const l of MANIFEST.listings)
      assert.match(l.url, /^https:\/\/github\.com\/gphoto\/libgphoto2\/blob\/[0-9a-f]{40}\//);
  });

  for (const l of MANIFEST.listings) {
    it(`${l.model}: every widget, the mode dial and each role as the listing says`, function () {
      const text = textOf(l);
      if (text === undefined) {
        console.log(
          `      (skipped: ${l.id}.txt is not extracted; run node test/fixtures/gphoto2-config/get-published.mjs <libgphoto2 git checkout>)`,
        );
        this.skip();
      }
      const settings = settingsFromWidgets(parseConfigListing(text));
      assert.strictEqual(settings.length, l.expect.settings, 'one setting per distinct path line');
      if (l.expect.modeDial) {
        const dial = modeDial(settings);
        assert.deepStrictEqual(
          dial && {
            name: dial.name,
            value: dial.value,
            ...(l.expect.modeDial.readonly ? { readonly: dial.readonly } : {}),
          },
          l.expect.modeDial,
        );
      }
      for (const [role, want] of Object.entries(l.expect.roles) as Array<[SettingRole, RoleExpectation]>) {
        const s = settings.find((x) => x.role === role);
        assert.ok(s, `${l.id}: a setting with role ${role} (${want.name})`);
        assert.strictEqual(s.name, want.name, `${l.id} ${role}`);
        assert.strictEqual(s.value, want.value, `${l.id} ${role} value`);
        if (want.choices !== undefined) assert.strictEqual(s.choices?.length, want.choices, `${l.id} ${role} choices`);
        if (want.readonly !== undefined) assert.strictEqual(s.readonly, want.readonly, `${l.id} ${role} readonly`);
        if (want.type !== undefined) assert.strictEqual(s.type, want.type, `${l.id} ${role} type`);
        if (want.max !== undefined) assert.strictEqual(s.max, want.max, `${l.id} ${role} max`);
        if (want.disabledBy === 'modeDial')
          assert.match(
            s.disabledReason ?? '',
            /mode dial is at .*, so the camera sets the .* itself/,
            `${l.id} ${role}`,
          );
      }
      for (const role of l.expect.noRoles ?? [])
        assert.strictEqual(
          settings.find((x) => x.role === role),
          undefined,
          `${l.id}: no ${role}`,
        );
    });
  }
});
