/**
 * The built renderer in real Chromium, its window.lighter bridged to the real router of an app core
 * that talks to the throwaway test engine. The docker CLI is the judge of what the engine holds.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, openApp, serveRenderer, type AppPage, type StaticServer } from '../support/bridge';
import { hasChromium, launchBrowser, type LaunchedBrowser } from '../support/browser';
import { docker, dockerCli, requireEngine, testDockerEnv } from '../support/engine';
import { buildFixtures, DANGLING_TAG, MULTI, MULTI_LATEST, MULTI_REGISTRY, SMALL, USER_CONTAINER, type Fixtures } from '../support/fixtures';

const host = requireEngine();
const chromium = hasChromium();
const SHOTS = join(import.meta.dirname, '../../test-results/screenshots');

let launched: LaunchedBrowser;
let browser: Browser;
let server: StaticServer;
let fixtures: Fixtures;
let env: NodeJS.ProcessEnv;
let app: AppPage | undefined;

async function open(options: { dockerHost?: string; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
  app = await openApp(browser, { dockerHost: options.dockerHost ?? host, url: server.url, colorScheme: options.colorScheme });
  return app.page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const short = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/** The table row of an image, found by something it shows (a repository, a short ID). */
const row = (page: Page, text: string): Locator => page.getByRole('grid', { name: 'Images' }).getByRole('row').filter({ hasText: text });

/** Every tag a row shows, as full references (the chips' tooltip lists them all). */
async function tagsOf(page: Page, imageId: string): Promise<string[]> {
  const chips = row(page, short(imageId)).locator('.chips');
  if (!(await chips.count())) return [];
  return ((await chips.getAttribute('title')) ?? '').split('\n');
}

async function imagesLoaded(page: Page): Promise<void> {
  await row(page, 'lighter-fixture/multi').waitFor({ timeout: 20_000 });
}

async function imageExists(ref: string): Promise<boolean> {
  return (await dockerCli(env, ['image', 'inspect', ref])).code === 0;
}

/** A small image of its own, so removal can be tested without touching the shared fixtures. */
async function buildScratchImage(tag: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'lighter-e2e-img-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY note.txt /note.txt\n');
    writeFileSync(join(dir, 'note.txt'), `${tag} ${Date.now()}\n`);
    return (await docker({ ...env, DOCKER_BUILDKIT: '0' }, 'build', '-q', '--network', 'none', '-t', tag, dir)).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!host || !chromium)('Lighter in Chromium against a real engine', () => {
  beforeAll(async () => {
    env = testDockerEnv(host);
    mkdirSync(SHOTS, { recursive: true });
    // Other test files may have removed fixtures; rebuilding is quick (cached) and idempotent.
    [fixtures] = await Promise.all([buildFixtures(env), ensureRendererBuilt()]);
    server = await serveRenderer();
    launched = await launchBrowser();
    browser = launched.browser;
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  afterAll(async () => {
    await launched?.close();
    await server?.close();
    for (const ref of ['lighter-e2e/tagged:v1', 'lighter-e2e/live:1']) await dockerCli(env, ['rmi', ref]);
    if (env) await buildFixtures(env);
  });

  it('lists the fixture images: one row per image with all its tags, dangling and in-use marked', async () => {
    const page = await open();
    await imagesLoaded(page);

    const multi = row(page, 'lighter-fixture/multi');
    expect(await multi.count()).toBe(1);
    const chips = await multi.locator('.chip').allTextContents();
    expect(chips.sort()).toEqual(['1.0', 'latest', MULTI_REGISTRY].sort());
    expect(await multi.textContent()).toContain(short(fixtures.multiId));

    const dangling = row(page, short(fixtures.danglingId));
    expect(await dangling.getByText('dangling', { exact: true }).count()).toBe(1);
    expect(await dangling.textContent()).toContain('<none>');

    const small = row(page, 'lighter-fixture/small');
    expect(await small.getByText(/in use/).textContent()).toContain('1');

    // The header count agrees with the engine's own list (dangling included).
    const ids = new Set((await docker(env, 'image', 'ls', '-q', '--no-trunc')).trim().split('\n'));
    const rows = await page.getByRole('grid', { name: 'Images' }).getAttribute('aria-rowcount');
    expect(Number(rows) - 1).toBe(ids.size);
    await shot(page, 'images-list');

    await page.getByRole('button', { name: 'Disk usage' }).click();
    const df = page.getByRole('dialog', { name: 'Disk usage' });
    const imagesRow = df.getByRole('row', { name: /^Images/ });
    await imagesRow.waitFor();
    const cliCounts = (await docker(env, 'system', 'df', '--format', '{{.Type}}\t{{.TotalCount}}\t{{.Active}}')).trim().split('\n');
    const [, total, active] = cliCounts.find((l) => l.startsWith('Images'))!.split('\t');
    const cells = await imagesRow.getByRole('cell').allTextContents();
    expect(cells.slice(0, 2)).toEqual([total, active]);
    await shot(page, 'disk-usage');
    await page.keyboard.press('Escape');
    await df.waitFor({ state: 'detached' });
  });

  it('filters by text and sorts by a column', async () => {
    const page = await open();
    await imagesLoaded(page);
    await page.getByRole('searchbox', { name: 'Search images' }).fill('small');
    await expect.poll(() => page.getByRole('grid').getByRole('row').count()).toBe(2);
    expect(await row(page, 'lighter-fixture/small').count()).toBe(1);
    await page.getByRole('searchbox', { name: 'Search images' }).fill('');

    const header = page.getByRole('columnheader', { name: 'Repository' });
    await header.getByRole('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('ascending');
    const names = async () => (await page.locator('.vt-body .vt-row .link-button').allTextContents()).filter((n) => n !== '<none>');
    const ascending = await names();
    expect(ascending.length).toBeGreaterThanOrEqual(3);
    expect(ascending).toEqual([...ascending].sort((a, b) => a.localeCompare(b)));
    await header.getByRole('button').click();
    expect(await header.getAttribute('aria-sort')).toBe('descending');
    expect(await names()).toEqual([...ascending].reverse());
  });

  it('opens a detail with the keyboard; inspect summary and history agree with the engine', async () => {
    const page = await open();
    await imagesLoaded(page);
    await page.getByRole('searchbox', { name: 'Search images' }).fill('lighter-fixture/multi');
    await expect.poll(() => page.getByRole('grid').getByRole('row').count()).toBe(2);
    await page.getByRole('grid', { name: 'Images' }).focus();
    await page.keyboard.press('ArrowDown');
    await shot(page, 'images-keyboard');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /lighter-fixture\/multi/ }).waitFor();

    const inspect = JSON.parse(await docker(env, 'image', 'inspect', MULTI))[0];
    const panel = page.getByRole('tabpanel');
    await panel.getByText('WorkingDir').waitFor();
    const text = (await panel.textContent()) ?? '';
    expect(text).toContain(inspect.Id);
    for (const e of inspect.Config.Env as string[]) expect(text).toContain(e);
    expect(text).toContain(inspect.Config.WorkingDir);
    expect(text).toContain(inspect.Config.User);
    expect(text).toContain(Object.keys(inspect.Config.ExposedPorts)[0]);
    expect(text).toContain(Object.keys(inspect.Config.Volumes)[0]);
    expect(text).toContain('org.example.kind');
    expect(text).toContain(`${inspect.Os}/${inspect.Architecture}`);
    for (const tag of [MULTI, MULTI_LATEST, MULTI_REGISTRY]) expect(text).toContain(tag);
    await shot(page, 'image-detail');

    await page.getByRole('tab', { name: /History/ }).click();
    const steps = (await docker(env, 'history', '--no-trunc', '--format', '{{.CreatedBy}}', MULTI)).trim().split('\n');
    const historyRows = page.getByRole('tabpanel').locator('tbody tr');
    expect(await historyRows.count()).toBe(steps.length);
    // Metadata-only steps (ENV, LABEL, CMD…) are marked, not shown as 0-byte layers.
    const noLayer = await page.getByRole('tabpanel').getByText('no layer', { exact: true }).count();
    expect(noLayer).toBeGreaterThanOrEqual(6);
    expect(await page.getByRole('tabpanel').getByText(/RUN rm \/srv\/big/).count()).toBe(1);
    await shot(page, 'image-history');

    await page.getByRole('tab', { name: 'Raw JSON' }).click();
    await page.getByRole('searchbox', { name: 'Find in JSON' }).fill('org.example');
    await page.getByText(/^1 of \d+$/).waitFor();
    expect(await page.locator('pre.json mark').count()).toBeGreaterThanOrEqual(2);

    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: 'Images' }).waitFor();
  });

  it('tags an image (new tag appears) and shows an invalid reference inline', async () => {
    const page = await open();
    await imagesLoaded(page);
    await row(page, 'lighter-fixture/small').locator('.vt-cell').last().click();
    await page.getByRole('button', { name: 'Tag…' }).click();
    const dialog = page.getByRole('dialog', { name: `Tag ${SMALL}` });
    await dialog.getByLabel('New tag').fill('lighter-e2e/Bad Name');
    await dialog.getByRole('button', { name: 'Add tag' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect((await alert.textContent())?.length).toBeGreaterThan(10);
    expect(await dialog.getByLabel('New tag').getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'tag-invalid');

    await dialog.getByLabel('New tag').fill('lighter-e2e/tagged:v1');
    await dialog.getByRole('button', { name: 'Add tag' }).click();
    await dialog.waitFor({ state: 'detached' });
    // The row may now be listed under the new repository: find it by ID, the tag among its chips.
    await expect.poll(() => tagsOf(page, fixtures.smallId), { timeout: 15_000 }).toContain('lighter-e2e/tagged:v1');
    expect(await imageExists('lighter-e2e/tagged:v1')).toBe(true);
  });

  it('names the container before removing an image in use, and removes an unused one', async () => {
    const page = await open();
    await imagesLoaded(page);
    await row(page, 'lighter-fixture/small').locator('.vt-cell').last().click();
    await page.keyboard.press('Delete');
    const dialog = page.getByRole('dialog', { name: /^Remove / });
    await dialog.getByText(USER_CONTAINER).waitFor();
    expect(await dialog.getByRole('button', { name: 'Remove anyway' }).count()).toBe(1);
    await shot(page, 'remove-in-use');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await imageExists(SMALL)).toBe(true);

    const id = await buildScratchImage('lighter-e2e/removable:1');
    await row(page, 'lighter-e2e/removable').waitFor({ timeout: 15_000 });
    await row(page, 'lighter-e2e/removable').locator('.vt-cell').last().click();
    await page.getByRole('button', { name: /^Remove/ }).first().click();
    const confirm = page.getByRole('dialog', { name: 'Remove lighter-e2e/removable:1?' });
    await confirm.getByRole('button', { name: 'Remove', exact: true }).click();
    await row(page, 'lighter-e2e/removable').waitFor({ state: 'detached', timeout: 15_000 });
    expect(await imageExists(id)).toBe(false);
    await page.getByRole('status').filter({ hasText: /removed/ }).first().waitFor();
  });

  it('previews a dangling prune with the image and its size, then prunes it', async () => {
    const page = await open();
    await imagesLoaded(page);
    const danglingShort = short(fixtures.danglingId);
    await page.getByRole('button', { name: 'Prune…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Prune images' });
    const list = dialog.getByRole('list', { name: 'Images that would be deleted' });
    await list.getByText(danglingShort).waitFor();
    expect(await dialog.textContent()).toMatch(/\d+(\.\d)? (B|kB|MB) will be freed/);
    await shot(page, 'prune-preview');
    await dialog.getByRole('button', { name: /^Delete \d+ images?$/ }).click();
    await row(page, danglingShort).waitFor({ state: 'detached', timeout: 15_000 });
    expect(await imageExists(fixtures.danglingId)).toBe(false);
    expect(await imageExists(DANGLING_TAG)).toBe(true);

    await page.getByRole('button', { name: /Jobs/ }).click();
    await page.getByRole('article', { name: 'Prune dangling images' }).getByText(/images? deleted/).waitFor();
  });

  it('shows a running job with bytes, speed and ETA, keeps it across views, and cancels it', async () => {
    const page = await open();
    await imagesLoaded(page);
    // A finished job of the real kind: removing an image of its own through the router.
    await buildScratchImage('lighter-e2e/jobs:1');
    const removal = await app!.core.router.invoke('images.remove', { images: ['lighter-e2e/jobs:1'] });
    expect(removal.ok).toBe(true);
    // A long transfer stand-in: the real job manager, events and router; only the work is a timed loop.
    const total = 900_000_000;
    const transfer = app!.core.jobs.start(
      'pull',
      'Pull example/transfer:1',
      async (job) => {
        for (let done = 0; !job.signal.aborted && done < total; done += 1_500_000) {
          job.progress({ current: done, total, message: 'Downloading layers' });
          job.item({ id: 'layer-1', label: 'sha256:4f4fb700ef54', status: 'Downloading', current: Math.min(done, total / 2), total: total / 2 });
          job.item({ id: 'layer-2', label: 'sha256:9a0b0ce99936', status: done > 30_000_000 ? 'Downloading' : 'Waiting', current: Math.max(0, done - 30_000_000), total: total / 2 });
          await new Promise((r) => setTimeout(r, 50));
        }
      },
      'bytes',
    );

    await page.getByRole('button', { name: /Jobs/ }).click();
    const card = page.getByRole('article', { name: 'Pull example/transfer:1' });
    const bar = card.getByRole('progressbar', { name: 'Pull example/transfer:1 progress' });
    await expect.poll(async () => (await bar.getAttribute('aria-valuetext')) ?? '', { timeout: 10_000 }).toMatch(/MB of 900 MB · [\d.]+ MB\/s · .+ left/);
    expect(await page.getByLabel('1 running').count()).toBe(1);

    await page.getByRole('button', { name: /Images/ }).click();
    await page.waitForTimeout(400);
    const before = Number(await app!.core.jobs.get(transfer.id)!.progress.current);
    await page.getByRole('button', { name: /Jobs/ }).click();
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow'))).toBeGreaterThanOrEqual(Math.floor((before / total) * 100));
    await card.getByText('2 items').click();
    await page.getByRole('article', { name: 'Remove lighter-e2e/jobs:1' }).getByText(/image removed|untagged/).waitFor();
    await shot(page, 'jobs');

    await card.getByRole('button', { name: 'Cancel' }).click();
    await card.getByText('Cancelled', { exact: true }).waitFor();
    expect(app!.core.jobs.get(transfer.id)?.state).toBe('cancelled');
    expect(await page.getByLabel('1 running').count()).toBe(0);
  });

  it('shows an image tagged with the docker CLI without a reload (engine events)', async () => {
    const page = await open();
    await imagesLoaded(page);
    expect(await tagsOf(page, fixtures.smallId)).not.toContain('lighter-e2e/live:1');
    const listsBefore = app!.events.filter((e) => e.name === 'images.changed').length;
    await docker(env, 'tag', SMALL, 'lighter-e2e/live:1');
    await expect.poll(() => tagsOf(page, fixtures.smallId), { timeout: 15_000 }).toContain('lighter-e2e/live:1');
    expect(app!.events.filter((e) => e.name === 'images.changed').length).toBeGreaterThan(listsBefore);
  });

  it('shows the connected engine in Settings as the engine reports it', async () => {
    const page = await open();
    await imagesLoaded(page);
    await page.getByRole('button', { name: /Settings/ }).click();
    const version = (await docker(env, 'version', '--format', '{{.Server.Version}}')).trim();
    const card = page.getByRole('region', { name: 'Container engine' });
    await card.getByText(version, { exact: false }).first().waitFor();
    expect(await card.textContent()).toContain(host);
    expect(await card.textContent()).toContain('$DOCKER_HOST');
    await shot(page, 'settings');
  });

  it('follows the dark theme of the OS, and the Settings override', async () => {
    const page = await open({ colorScheme: 'dark' });
    await imagesLoaded(page);
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const dark = await background();
    await shot(page, 'images-dark');
    await page.getByRole('button', { name: /Settings/ }).click();
    await page.getByRole('radio', { name: 'Light' }).check({ force: true });
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    expect(await background()).not.toBe(dark);
    await page.getByRole('radio', { name: 'Dark' }).check({ force: true });
    expect(await background()).toBe(dark);
    await shot(page, 'settings-dark');
  });

  it('engine down: a banner lists what was tried; Jobs and Settings still work', async () => {
    const missing = `unix://${join(tmpdir(), `lighter-no-engine-${process.pid}`, 'docker.sock')}`;
    const page = await open({ dockerHost: missing });
    // Never reach for an engine of this machine: with a default socket present, pin the missing host.
    if (existsSync('/var/run/docker.sock')) await app!.core.engine.select({ host: missing });
    const banner = page.getByRole('alert', { name: 'No container engine is reachable' });
    await banner.waitFor({ timeout: 20_000 });
    const text = (await banner.textContent()) ?? '';
    expect(text).toContain(missing);
    expect(text).toMatch(/Trying again|keeps trying/);
    expect(await page.getByText('No container engine is connected.').count()).toBe(1);
    await shot(page, 'engine-down');

    await page.getByRole('button', { name: /Jobs/ }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await page.getByRole('button', { name: 'Choose engine…' }).click();
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
    await page.getByRole('radio', { name: 'Dark' }).check({ force: true });
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');

    // Pointing the app at the real engine from Settings brings the images back.
    await page.getByRole('textbox', { name: 'Host' }).fill(host);
    await page.getByRole('button', { name: 'Connect' }).click();
    await banner.waitFor({ state: 'detached', timeout: 20_000 });
    await page.getByRole('button', { name: /Images/ }).click();
    await imagesLoaded(page);
  });
});
