// Browser check of a built migcov site, in Debian's Chromium driven by playwright-core.
//
//   node tests/browser/check.mjs SITE_DIR ARTIFACTS_DIR [PAGE,PAGE...]
//
// With a list of pages (relative to SITE_DIR), only those are checked.
// For every page: no console errors, no failed loads, no request leaving file://, every
// internal link and anchor resolves, axe-core finds no serious or critical violation.
// On the scripts and entities indexes: sorting and filtering work. Screenshots of the index
// at desktop and phone widths go to ARTIFACTS_DIR. Ends with "N passed, M failed" and exits
// 1 when anything failed.

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");
const [siteArg, artifactsArg, onlyArg] = process.argv.slice(2);
if (!siteArg || !artifactsArg) {
  console.error("usage: check.mjs SITE_DIR ARTIFACTS_DIR");
  process.exit(2);
}
const site = path.resolve(siteArg);
const artifacts = path.resolve(artifactsArg);
fs.mkdirSync(artifacts, { recursive: true });

let passed = 0;
const failures = [];
function check(ok, what) {
  if (ok) passed += 1;
  else failures.push(what);
}

function pages(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return pages(full);
    return entry.name.endsWith(".html") ? [full] : [];
  }).sort();
}

const ids = new Map();
function idsOf(file) {
  if (!ids.has(file)) {
    const text = fs.readFileSync(file, "utf8");
    ids.set(file, new Set([...text.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])));
  }
  return ids.get(file);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });

const only = onlyArg ? new Set(onlyArg.split(",")) : null;
for (const file of pages(site).filter((f) => !only || only.has(path.relative(site, f)))) {
  const name = path.relative(site, file);
  const page = await context.newPage();
  const problems = [];
  page.on("console", (msg) => { if (msg.type() === "error") problems.push(`console error: ${msg.text()}`); });
  page.on("pageerror", (err) => problems.push(`script error: ${err.message}`));
  page.on("requestfailed", (req) => problems.push(`failed load: ${req.url()}`));
  page.on("request", (req) => {
    const url = req.url();
    if (!url.startsWith("file://") && !url.startsWith("data:") && !url.startsWith("about:")) {
      problems.push(`request leaves file://: ${url}`);
    }
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });

  // Links: every local target exists, every #anchor names an id on its page.
  const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => a.href));
  for (const href of hrefs) {
    if (!href.startsWith("file://")) {
      problems.push(`link leaves the site: ${href}`);
      continue;
    }
    const url = new URL(href);
    const target = fileURLToPath(url);
    if (!fs.existsSync(target)) {
      problems.push(`broken link: ${path.relative(site, target)}`);
    } else if (url.hash && !idsOf(target).has(decodeURIComponent(url.hash.slice(1)))) {
      problems.push(`broken anchor: ${path.relative(site, target)}${url.hash}`);
    }
  }

  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    // preload: false, or axe fetches stylesheets by XHR, which file:// pages may not do.
    const result = await window.axe.run(document, { resultTypes: ["violations"], preload: false });
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`);
  });
  for (const v of violations) problems.push(`axe ${v}`);

  check(problems.length === 0, `${name}:\n    ${problems.join("\n    ")}`);
  await page.close();
}

// Sorting and filtering, where the tables carry them.
async function tableBehaviour(name, column, filterText) {
  const file = path.join(site, name);
  if (!fs.existsSync(file)) return;
  const page = await context.newPage();
  await page.goto(pathToFileURL(file).href);
  const table = page.locator("table.sortable").first();
  const visible = () => table.locator("tbody tr:not([hidden])");
  const cells = async () => (await visible().locator(`td, th`).evaluateAll(
    (all, column) => all.filter((c) => c.cellIndex === column).map((c) => c.getAttribute("data-sort") ?? c.textContent.trim()),
    column,
  ));
  const header = table.locator("thead th").nth(column).locator("button");
  const inOrder = (values, direction) => values.every((v, i) => i === 0 ||
    direction * values[i - 1].localeCompare(v, undefined, { numeric: true, sensitivity: "base" }) <= 0);
  await header.click();
  const ascending = await cells();
  check(ascending.length > 1 && inOrder(ascending, 1),
    `${name}: clicking column ${column} does not sort ascending: ${ascending.slice(0, 5)}`);
  check(await table.locator("thead th").nth(column).getAttribute("aria-sort") === "ascending",
    `${name}: aria-sort not set`);
  await header.click();
  const descending = await cells();
  check(descending.length > 1 && inOrder(descending, -1) && descending[0] !== ascending[0],
    `${name}: a second click does not sort descending`);

  const total = await table.locator("tbody tr").count();
  if (total > 100) {
    // Long tables are paged: 100 rows at a time, Next shows the following 100.
    const first = await visible().allTextContents();
    check(first.length === 100, `${name}: ${first.length} rows shown on page 1 of a ${total}-row table`);
    await page.locator(".table-pager button", { hasText: "Next" }).first().click();
    const second = await visible().allTextContents();
    const pages = Math.ceil(total / 100);
    check(second.length === Math.min(100, total - 100) && second[0] !== first[0] &&
        (await page.locator(".table-pager").first().textContent()).includes(`page 2 of ${pages}`),
      `${name}: Next does not show page 2 of ${pages}`);
    await page.locator(".table-pager button", { hasText: "Previous" }).first().click();
  }
  // The preferred filter text fits the bundled sample; on other data, filter by a word of
  // the first row, which some but not all rows contain when the table has several.
  const hits = await table.locator("tbody tr").evaluateAll(
    (rows, text) => rows.filter((r) => r.textContent.toLowerCase().includes(text.toLowerCase())).length,
    filterText,
  );
  if (hits === 0 || hits === total) {
    const first = (await table.locator("tbody tr th").first().textContent()).trim();
    filterText = first.split(/[^A-Za-z0-9]+/).filter((w) => w.length > 2)[0] || first;
  }
  await page.locator("input.table-filter").first().fill(filterText);
  const shown = await visible().allTextContents();
  const expected = await table.locator("tbody tr").evaluateAll(
    (rows, text) => rows.filter((r) => r.textContent.toLowerCase().includes(text.toLowerCase())).length,
    filterText,
  );
  check(shown.length === Math.min(expected, 100) && shown.length > 0 && expected < total &&
      shown.every((t) => t.toLowerCase().includes(filterText.toLowerCase())),
    `${name}: filtering by "${filterText}" shows ${shown.length} rows, expected ${expected} of ${total}`);
  await page.locator("input.table-filter").first().fill("");
  const facet = page.locator("select.table-facet").first();
  if (await facet.count()) {
    const options = await facet.locator("option").allTextContents();
    await facet.selectOption(options[1]);
    const column = Number(await facet.getAttribute("data-column"));
    const values = await cells.call(null).catch(() => []);
    const facetValues = await visible().evaluateAll(
      (rows, column) => rows.map((r) => r.cells[column].getAttribute("data-sort") ?? r.cells[column].textContent.trim()),
      column,
    );
    check(facetValues.length > 0 && facetValues.every((v) => v === options[1]),
      `${name}: facet ${options[1]} shows other rows: ${facetValues.slice(0, 3)} ${values.length}`);
  }
  await page.close();
}
if (!only || only.has("scripts/index.html")) await tableBehaviour("scripts/index.html", 0, "office");
if (!only || only.has("entities/index.html")) await tableBehaviour("entities/index.html", 0, "payment");

// Screenshots of the index for the test artifacts (and the README).
const index = pathToFileURL(path.join(site, "index.html")).href;
for (const [label, viewport] of [["desktop", { width: 1280, height: 900 }], ["phone", { width: 390, height: 844 }]]) {
  const shot = await browser.newPage({ viewport });
  await shot.goto(index);
  await shot.screenshot({ path: path.join(artifacts, `index-${label}.png`), fullPage: label === "desktop" });
  await shot.close();
}
await browser.close();

for (const failure of failures) console.log(`FAIL ${failure}`);
console.log(`browser: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length ? 1 : 0);
