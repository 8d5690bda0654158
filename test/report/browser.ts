import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's own chromium, driven by playwright-core: never a downloaded browser, a fresh empty
 * profile each time, and the switches that keep it from calling home, so that any network request
 * seen comes from the page.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why the browser tests cannot run here; null when they can. */
export function missingChromium(): string | null {
  return existsSync(CHROMIUM) ? null : `Debian's chromium is not installed at ${CHROMIUM} (apt-get install chromium)`;
}

export interface OpenedPage {
  page: Page;
  /** Every request the page made, by URL. */
  requests: string[];
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
  close(): Promise<void>;
}

/** Opens a local file in a fresh headless chromium and records everything it tries to do. */
export async function openInChromium(file: string, viewport = { width: 1200, height: 900 }): Promise<OpenedPage> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'irt-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport, offline: true });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const opened: OpenedPage = {
    page,
    requests: [],
    consoleErrors: [],
    pageErrors: [],
    dialogs: [],
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  context.on('request', (r) => opened.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') opened.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => opened.pageErrors.push(String(e)));
  page.on('dialog', (d) => {
    opened.dialogs.push(d.message());
    void d.dismiss();
  });
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  } catch (err) {
    await opened.close();
    throw err;
  }
  return opened;
}
