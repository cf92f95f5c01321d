/**
 * The status page: one self-contained HTML file (inline CSS and script, no outside assets) showing every
 * image of a run as its records describe it — the decision and why, the base and its digest, the newest
 * version, .NET's end of support, scan counts and the step that failed. Written next to the run summary
 * (dist/platform-images-status.html) from the same records; `renderStatusPage` is pure (rows in, HTML out).
 *
 * Times come only from the records: when ECR says the newest version was pushed (the check's `publishedAt`),
 * and when the base was built (its image config's `created`, which a rebuild records on the image as
 * `io.platform-images.base.created`): the base's digest moved to it then, or shortly after. A version that
 * does not record it shows "unknown", never a date made up.
 */
import { short } from '../lib/staleness';
import { dotnetLineOf, END_OF_SUPPORT } from '../lib/dotnet-support';
import { formatCounts } from '../lib/scan-policy';
import type { CheckRecord } from '../steps/records';
import type { ImageRun, StepRecords, SummaryRow } from './run-summary';

export const STATUS_PAGE = 'platform-images-status.html';

export interface StatusRow {
  image: string;
  projectRoot?: string;
  decision: string;
  reason: string;
  /** The check's reason code (base-moved, current, …). */
  reasonCode?: string;
  baseName?: string;
  baseDigest?: string;
  /** The base digest the newest published version was built from, when it differs from today's: the base moved since. */
  publishedBaseDigest?: string;
  /** When the base named now was built, per platform the image builds (ISO): about when its digest last moved. */
  baseBuilt?: Record<string, string>;
  /** The base moved since this version, which is all the records say of when: no time is known for the new base. */
  baseMovedSince?: string;
  newestVersion?: string;
  newestDigest?: string;
  /** When the newest version was published, when a record says so. */
  publishedAt?: string;
  dotnet?: string;
  /** YYYY-MM-DD. */
  endOfSupport?: string;
  /** Counts by severity, formatted ("2 HIGH, 1 LOW"), and where they come from. */
  scan?: string;
  failedStep?: string;
  fix?: string;
}

/**
 * When the base the image builds on now was built, as far as the records say, with no registry request:
 * - the check read it for a rebuild (only a stale image's check does): that time, for the base named now;
 * - else the newest version recorded it, and the base it was built on is still the one named now (for every
 *   platform the image builds): that time;
 * - else the base moved since the newest version, which recorded nothing of the new base: "moved since" it;
 * - else (a version from before the record, nothing published, a base without a time): nothing, shown as unknown.
 */
export function baseMovedOf(check: CheckRecord | undefined): Pick<StatusRow, 'baseBuilt' | 'baseMovedSince'> {
  if (!check) return {};
  if (check.base.created && Object.keys(check.base.created).length) return { baseBuilt: check.base.created };
  const published = check.published;
  if (!published) return {};
  const built = published.basePlatformDigests;
  const now = check.base.platforms;
  // Per platform when both sides say: an index that moved only for platforms the image does not build left its base where it was.
  const moved =
    built && now ? Object.keys(now).some((platform) => built[platform] !== now[platform]) : published.baseDigest !== check.base.digest;
  if (moved) return { baseMovedSince: published.versionTag };
  return published.baseCreated && Object.keys(published.baseCreated).length ? { baseBuilt: published.baseCreated } : {};
}

/** The status page's row of an image, from the summary row and the same records it was made from. */
export function statusRow(
  run: ImageRun,
  records: StepRecords,
  summary: SummaryRow,
  dotnetOverrides: Record<string, string> = {},
): StatusRow {
  const check = records['mcr-check'];
  const publish = records['ecr-publish'];
  const dotnet = dotnetLineOf(run.projectRoot);
  const row: StatusRow = {
    image: run.project,
    projectRoot: run.projectRoot,
    decision: summary.decision,
    reason: summary.reason,
    reasonCode: check?.reason,
    baseName: check?.base.name,
    baseDigest: check?.base.digest,
    newestVersion: summary.versionTag ?? check?.published?.versionTag,
    newestDigest: summary.digest ?? check?.published?.digest,
    dotnet,
    // The check's date has the workspace's corrections; an older check record has none.
    endOfSupport: check?.dotnetEndOfSupport ?? (dotnet ? (dotnetOverrides[dotnet] ?? END_OF_SUPPORT[dotnet]) : undefined),
    ...baseMovedOf(check),
  };
  if (check?.published?.baseDigest && check.published.baseDigest !== check.base.digest)
    row.publishedBaseDigest = check.published.baseDigest;
  // A version this run published is newer than what the check found.
  if (publish?.published) row.newestVersion = publish.versionTag;
  else {
    if (check?.stale) {
      row.newestVersion = check.published?.versionTag;
      row.newestDigest = check.published?.digest;
    }
    // When the check found the newest version pushed; a version this run published is not in its listing.
    if (check?.publishedAt) row.publishedAt = check.publishedAt;
  }
  const scan = publish?.published ? publish.scan : (records.failure?.scan ?? check?.findings);
  if (scan) row.scan = scan.warning ? `not judged: ${scan.warning}` : formatCounts(scan.counts);
  const failure = records.failure;
  if (failure && run.tasks.some((t) => t.target === failure.step && t.status === 'failure')) {
    row.failedStep = failure.step;
    if (failure.fix) row.fix = failure.fix;
  }
  return row;
}

export function escapeHtml(text: string | number | undefined): string {
  return String(text ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The decision families, in the order the page and the run summary count and list them: failures first. */
export const OUTCOMES = ['failed', 'stale', 'rebuilt', 'current', 'other'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** The decision's family, for its colour and the outcome filter. */
export function outcomeOf(decision: string): Outcome {
  if (/^(failed|stopped)/.test(decision)) return 'failed';
  if (decision === 'current') return 'current';
  if (decision === 'rebuilt') return 'rebuilt';
  if (/stale|not published|not tested|not built/.test(decision)) return 'stale';
  return 'other';
}

interface Column {
  key: string;
  title: string;
  /** The cell's HTML (escaped) and the text it sorts by. */
  cell: (row: StatusRow, today: string) => { html: string; sort: string };
}

const dash = '<span class="none">—</span>';
const text = (value: string | undefined) => ({ html: value ? escapeHtml(value) : dash, sort: value ?? '' });
const mono = (value: string | undefined, shown = value) => ({
  html: value ? `<code title="${escapeHtml(value)}">${escapeHtml(shown)}</code>` : dash,
  sort: value ?? '',
});

const COLUMNS: Column[] = [
  { key: 'image', title: 'Image', cell: (r) => text(r.image) },
  {
    key: 'decision',
    title: 'Decision',
    cell: (r) => ({ html: `<span class="badge ${outcomeOf(r.decision)}">${escapeHtml(r.decision || 'unknown')}</span>`, sort: r.decision }),
  },
  {
    key: 'reason',
    title: 'Reason',
    cell: (r) => ({
      html: (r.reason ? escapeHtml(r.reason) : dash) + (r.reasonCode ? ` <small class="code">${escapeHtml(r.reasonCode)}</small>` : ''),
      sort: r.reason,
    }),
  },
  { key: 'base', title: 'Base', cell: (r) => text(r.baseName) },
  {
    key: 'baseDigest',
    title: 'Base digest',
    cell: (r) => {
      const now = mono(r.baseDigest, r.baseDigest && short(r.baseDigest));
      if (!r.publishedBaseDigest) return now;
      return {
        html: `${now.html}<br><small>moved since the newest version (was <code title="${escapeHtml(r.publishedBaseDigest)}">${escapeHtml(short(r.publishedBaseDigest))}</code>)</small>`,
        sort: now.sort,
      };
    },
  },
  {
    key: 'baseMoved',
    title: 'Base moved',
    cell: (r) => {
      const times = r.baseBuilt ? Object.keys(r.baseBuilt).sort() : [];
      const newest = times
        .map((p) => r.baseBuilt![p])
        .sort()
        .at(-1);
      if (newest) {
        // One time when every platform's base was built at the same moment, else each platform's.
        const same = times.every((p) => r.baseBuilt![p] === newest);
        const html = same
          ? escapeHtml(newest)
          : times.map((p) => `${escapeHtml(r.baseBuilt![p])} <small>${escapeHtml(p)}</small>`).join('<br>');
        return { html: `<span title="when the base was built (its image config's created)">${html}</span>`, sort: newest };
      }
      if (!r.baseName) return { html: dash, sort: '' };
      return {
        html: `unknown${r.baseMovedSince ? `<br><small>moved since ${escapeHtml(r.baseMovedSince)}</small>` : ''}`,
        sort: '',
      };
    },
  },
  {
    key: 'version',
    title: 'Newest version',
    cell: (r) => ({
      html:
        (r.newestVersion ? `<code>${escapeHtml(r.newestVersion)}</code>` : dash) +
        (r.newestDigest
          ? `<br><small><code title="${escapeHtml(r.newestDigest)}">${escapeHtml(short(r.newestDigest))}</code></small>`
          : ''),
      sort: r.newestVersion ?? '',
    }),
  },
  { key: 'published', title: 'Published', cell: (r) => text(r.publishedAt) },
  {
    key: 'eos',
    title: '.NET end of support',
    cell: (r, today) => {
      if (!r.endOfSupport) return { html: r.dotnet ? `${escapeHtml(r.dotnet)} ${dash}` : dash, sort: '' };
      const past = r.endOfSupport < today;
      return {
        html: `${escapeHtml(r.dotnet)} <span class="${past ? 'past' : ''}">${escapeHtml(r.endOfSupport)}${past ? ' (ended)' : ''}</span>`,
        sort: r.endOfSupport,
      };
    },
  },
  { key: 'scan', title: 'Scan', cell: (r) => text(r.scan) },
  {
    key: 'failed',
    title: 'Failed step',
    cell: (r) => ({
      html: r.failedStep
        ? `<strong>${escapeHtml(r.failedStep)}</strong>${r.fix ? `<br><small>fix: ${escapeHtml(r.fix)}</small>` : ''}`
        : dash,
      sort: r.failedStep ?? '',
    }),
  },
];

const STYLE = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1b1f23; --muted: #5a6470; --line: #d8dee4; --head: #f3f5f7;
  --current: #1a7f37; --rebuilt: #0969da; --stale: #9a6700; --failed: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9aa5b1; --line: #30363d; --head: #161b22;
  --current: #3fb950; --rebuilt: #58a6ff; --stale: #d29922; --failed: #f85149; } }
body { background: var(--bg); color: var(--fg); font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; } .meta, .none, small { color: var(--muted); }
.controls { display: flex; gap: .75rem; align-items: center; margin: 1rem 0; flex-wrap: wrap; }
input, select { background: var(--bg); color: var(--fg); border: 1px solid var(--line); border-radius: 4px; padding: .3rem .5rem; font: inherit; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid var(--line); padding: .4rem .5rem; text-align: left; vertical-align: top; }
th { background: var(--head); position: sticky; top: 0; } th button { all: unset; cursor: pointer; font-weight: 600; }
th[aria-sort="ascending"] button::after { content: " ▲"; } th[aria-sort="descending"] button::after { content: " ▼"; }
code { font: 12px ui-monospace, monospace; } td[data-key="image"], td[data-key="eos"] { white-space: nowrap; } .badge { font-weight: 600; white-space: nowrap; }
.badge.current { color: var(--current); } .badge.rebuilt { color: var(--rebuilt); } .badge.stale { color: var(--stale); }
.badge.failed, .past { color: var(--failed); } tr[hidden] { display: none; }
`;

const SCRIPT = `
(function () {
  var table = document.getElementById('images');
  var body = table.tBodies[0];
  var filter = document.getElementById('filter');
  var outcome = document.getElementById('outcome');
  var shown = document.getElementById('shown');
  function apply() {
    var words = filter.value.toLowerCase().trim().split(/\\s+/).filter(Boolean);
    var want = outcome.value;
    var count = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var text = row.textContent.toLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; }) && (!want || row.dataset.outcome === want);
      row.hidden = !ok;
      if (ok) count++;
    });
    shown.textContent = String(count);
  }
  filter.addEventListener('input', apply);
  outcome.addEventListener('change', apply);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    th.querySelector('button').addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir);
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[index].dataset.sort, y = b.cells[index].dataset.sort;
        var c = x.localeCompare(y, undefined, { numeric: true });
        return dir === 'ascending' ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  apply();
})();
`;

export interface StatusPageOptions {
  /** When the page was made (ISO); it is shown, and decides which end-of-support dates have passed. */
  generatedAt: string;
  title?: string;
}

/** How many rows each outcome has, for the outcomes that occur, in OUTCOMES order. */
export function outcomeCounts(rows: readonly { decision: string }[]): Array<[Outcome, number]> {
  const counts = new Map<Outcome, number>();
  for (const r of rows) counts.set(outcomeOf(r.decision), (counts.get(outcomeOf(r.decision)) ?? 0) + 1);
  return OUTCOMES.filter((o) => counts.has(o)).map((o) => [o, counts.get(o)!]);
}

/** The whole page: rows in, one HTML document out. Every value from a record is escaped. */
export function renderStatusPage(rows: StatusRow[], options: StatusPageOptions): string {
  const today = options.generatedAt.slice(0, 10);
  const title = options.title ?? 'Platform images';
  const counts = outcomeCounts(rows);
  const head = COLUMNS.map((c) => `<th scope="col" data-key="${c.key}"><button type="button">${escapeHtml(c.title)}</button></th>`).join(
    '',
  );
  const body = rows
    .map((r) => {
      const cells = COLUMNS.map((c) => {
        const { html, sort } = c.cell(r, today);
        return `<td data-key="${c.key}" data-sort="${escapeHtml(sort)}">${html}</td>`;
      }).join('');
      return `<tr data-image="${escapeHtml(r.image)}" data-outcome="${outcomeOf(r.decision)}">${cells}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">Generated ${escapeHtml(options.generatedAt)} · ${rows.length} image(s)${counts.map(([o, n]) => ` · ${n} ${o}`).join('')}</p>
<div class="controls">
<label>Filter <input id="filter" type="search" placeholder="image, reason, base…"></label>
<label>Outcome <select id="outcome"><option value="">all</option>${counts.map(([o]) => `<option value="${o}">${o}</option>`).join('')}</select></label>
<span class="meta"><span id="shown">${rows.length}</span> shown</span>
</div>
<table id="images">
<thead><tr>${head}</tr></thead>
<tbody>
${body}
</tbody>
</table>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
