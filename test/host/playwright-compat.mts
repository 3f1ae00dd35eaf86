// Compiled only by `npm run typecheck:host` (tsconfig.json here), once the test host is installed:
// fails when the installed playwright-core no longer satisfies the subset in playwright.ts. Each
// interface is checked on its own: TypeScript stops comparing nested recursive types early.
import type * as real from 'playwright-core';
import type * as subset from './playwright';

type Satisfies<Real extends Subset, Subset> = [Real, Subset];

export type Checked = [
  Satisfies<typeof real, subset.Playwright>,
  Satisfies<real.BrowserType, subset.BrowserType>,
  Satisfies<real.LaunchOptions, subset.LaunchOptions>,
  Satisfies<real.Browser, subset.Browser>,
  Satisfies<real.BrowserContext, subset.BrowserContext>,
  Satisfies<real.Page, subset.Page>,
  Satisfies<real.Frame, subset.Frame>,
  Satisfies<real.Keyboard, subset.Keyboard>,
  Satisfies<real.Locator, subset.Locator>,
  Satisfies<real.FrameLocator, subset.FrameLocator>,
  Satisfies<real.ConsoleMessage, subset.ConsoleMessage>,
  Satisfies<real.Response, subset.Response>,
];
