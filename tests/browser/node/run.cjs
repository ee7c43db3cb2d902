// agentctl browser tests: drive the system Chromium with Playwright for Node (playwright-core,
// no browser download) through the files `agentctl exchange --emit` writes.
// Input (stdin): {"chromium": PATH, "args": [...], "jobs": [{"name", "kind": "module"|"state"|"script",
//   "file", "app", "second"}]}. Output (stdout): one JSON object, {name: result}.
'use strict';

const path = require('node:path');
const { chromium } = require(path.join(__dirname, 'node_modules', 'playwright-core'));

const READY = 'body:not([data-state="pending"])';

// Make the app's page load the second origin: a fetch with credentials, an image, a frame.
async function probe(second) {
  await fetch(second + '/fetch', { credentials: 'include', mode: 'no-cors' }).catch(() => null);
  await new Promise((done) => {
    const img = new Image();
    img.onload = img.onerror = done;
    img.src = second + '/img';
    document.body.appendChild(img);
  });
  await new Promise((done) => {
    const frame = document.createElement('iframe');
    frame.onload = done;
    frame.src = second + '/frame';
    document.body.appendChild(frame);
  });
}

async function context(browser, job) {
  // bypassCSP: the demo app's CSP would stop the probe's requests to the second origin;
  // the injection under test is not affected by it.
  if (job.kind === 'module') {
    const mod = require(job.file);
    const ctx = await browser.newContext({ ...mod.contextOptions, bypassCSP: true });
    await mod.authorize(ctx);
    return ctx;
  }
  if (job.kind === 'state') return browser.newContext({ storageState: job.file, bypassCSP: true });
  const ctx = await browser.newContext({ bypassCSP: true });
  await ctx.addInitScript({ path: job.file });
  return ctx;
}

async function run(browser, job) {
  const ctx = await context(browser, job);
  const page = await ctx.newPage();
  const out = {};
  await page.goto(job.app);
  if (job.redirect) {
    out.url = page.url();
  } else {
    await page.waitForSelector(READY);
    for (const id of ['via', 'mode', 'subject', 'actor', 'audit', 'error']) {
      out[id] = (await page.textContent('#' + id)) || '';
    }
    out.state = await page.evaluate(() => document.body.dataset.state);
    await page.evaluate(probe, job.second);
  }
  if (job.second) {
    await page.goto(job.second + '/page');
    out.second_storage = await page.evaluate(() => JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie]));
  }
  await ctx.close();
  return out;
}

async function main() {
  const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
  const browser = await chromium.launch({ executablePath: input.chromium, args: input.args || ['--no-sandbox'] });
  const results = {};
  try {
    for (const job of input.jobs) results[job.name] = await run(browser, job);
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
