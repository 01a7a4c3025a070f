import { CHART_JS_VERSION } from './assets.generated.js';

/** Where the page loads Chart.js from. */
export const CHART_JS_PATH = '/admin/assets/chart.umd.min.js';

/** The page's stylesheet, inline (allowed by its hash). */
const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}small{color:#666}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(20rem,1fr));gap:1rem}
.chart{position:relative;height:18rem}.wide{height:22rem}
.error{color:#a00;font-weight:600}.warn{color:#a60;font-weight:600}.ok{color:#070}
.yes{color:#070;font-weight:600}[hidden]{display:none!important}
form{margin:1rem 0;padding:1rem;border:1px solid #ccc;max-width:36rem}input{width:100%;font:inherit;padding:.25rem;margin:.25rem 0 .5rem}
`;

/**
 * The page's script. It reads the secret key from the URL fragment (#key=sk_…) or a form,
 * keeps it in sessionStorage for this tab only, fetches the report with it and renders
 * every value through textContent (never as HTML). Plain ES2017 without template literals,
 * so that the only substitution in this raw string is CHART_JS_PATH.
 */
const SCRIPT = String.raw`
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var params = new URLSearchParams(location.search);
  var seller = params.get('seller') || '';
  var parts = location.pathname.split('/');
  var experimentId = '';
  try { experimentId = decodeURIComponent(parts[parts.length - 1] || ''); } catch (e) { experimentId = ''; }
  var storageName = 'plusone.secretKey.' + seller;
  var memoryKey = null;
  var charts = [];
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

  function storedKey() {
    try { return sessionStorage.getItem(storageName); } catch (e) { return memoryKey; }
  }
  function storeKey(key) {
    memoryKey = key;
    try { if (key === null) sessionStorage.removeItem(storageName); else sessionStorage.setItem(storageName, key); } catch (e) { /* storage disabled: memory only */ }
  }
  function status(text, kind) {
    var p = $('status');
    p.textContent = text;
    p.className = kind || '';
  }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function table(target, headers, rows) {
    var t = $(target);
    t.replaceChildren();
    var head = el('tr');
    headers.forEach(function (h) { head.appendChild(el('th', h)); });
    t.appendChild(head);
    rows.forEach(function (cells) {
      var tr = el('tr');
      cells.forEach(function (cell) {
        if (cell instanceof Node) { var td = el('td'); td.appendChild(cell); tr.appendChild(td); }
        else tr.appendChild(el('td', cell, typeof cell === 'number' ? 'num' : ''));
      });
      t.appendChild(tr);
    });
  }

  // ---- formatting ----
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function fixed(v, digits) { return isNum(v) ? v.toFixed(digits) : '–'; }
  function pct(v) { return isNum(v) ? (v * 100).toFixed(2) + '%' : '–'; }
  function signedPct(v) { return isNum(v) ? (v > 0 ? '+' : '') + (v * 100).toFixed(2) + ' pp' : '–'; }
  function level(v) { return isNum(v) ? Number((v * 100).toPrecision(4)) + '%' : '–'; }
  function pValue(p) { return isNum(p) ? (p < 0.0001 ? '< 0.0001' : String(Number(p.toPrecision(2)))) : '–'; }
  var moneyFormat = null;
  function money(v) {
    if (!isNum(v)) return '–';
    if (moneyFormat) return moneyFormat.format(v);
    return v.toLocaleString(undefined, { maximumFractionDigits: 2 });
  }
  function interval(est, format) {
    if (!est || !isNum(est.value)) return '–';
    var text = format(est.value);
    if (est.ci) text += ' [' + format(est.ci.lower) + ', ' + format(est.ci.upper) + ']';
    return text;
  }
  function count(v) { return isNum(v) ? v.toLocaleString() : '–'; }

  var METRICS = [
    { key: 'conversion_rate', label: 'Conversion rate', rate: true },
    { key: 'add_to_cart_rate', label: 'Add-to-cart rate', rate: true },
    { key: 'ctr', label: 'CTR', rate: true },
    { key: 'multi_item_share', label: 'Orders with 2+ items', rate: true },
    { key: 'items_per_order', label: 'Items per order', rate: false, digits: 3 },
    { key: 'revenue_per_visitor', label: 'Revenue per visitor', rate: false, money: true }
  ];
  function metricValue(m, v) { return m.rate ? pct(v) : m.money ? money(v) : fixed(v, m.digits); }
  function metricDiff(m, v) {
    if (m.rate) return signedPct(v);
    if (!isNum(v)) return '–';
    return (v > 0 ? '+' : '') + (m.money ? money(v) : v.toFixed(m.digits));
  }

  // ---- rendering ----
  function render(r) {
    moneyFormat = null;
    if (r.currency) {
      try { moneyFormat = new Intl.NumberFormat(undefined, { style: 'currency', currency: r.currency }); } catch (e) { moneyFormat = null; }
    }
    var x = r.experiment;
    $('title').textContent = x.name || x.id;
    $('meta').textContent = 'Experiment ' + x.id + ' of seller ' + x.seller + ' on the ' + x.surface + ' surface; ' + x.status +
      (x.started ? ', started ' + x.started : ', not started') + (x.stopped ? ', stopped ' + x.stopped : '') +
      '. ' + r.days_of_data + ' days of data' + (isNum(r.duration_days) ? ' over ' + r.duration_days.toFixed(1) + ' days' : '') +
      '. Generated ' + r.generated_at + '. Intervals at ' + level(r.interval_level) + ' per arm, ' + level(r.comparison_interval_level) + ' for differences; each comparison tested at α = ' + r.alpha_per_comparison +
      (r.comparisons.length > 1 ? ' (' + r.alpha + ' split over ' + r.comparisons.length + ' treatments)' : '') + '.';

    var verdicts = $('verdicts');
    verdicts.replaceChildren();
    r.sequential.forEach(function (s) {
      verdicts.appendChild(el('li', s.verdict, s.safe_to_stop ? 'ok' : ''));
    });

    var srm = $('srm');
    srm.textContent = r.srm.verdict;
    srm.className = r.srm.mismatch ? 'error' : 'ok';

    table('arms', ['Arm', 'Model', 'Visitors', 'Impressions', 'CTR', 'Add-to-cart', 'Conversion', 'Orders', 'Items per order', '2+ items', 'Revenue per visitor', 'Attributed orders', 'Attributed revenue'],
      r.arms.map(function (a) {
        return [a.arm + (a.is_control ? ' (control)' : ''), a.model, count(a.visitors), count(a.impressions),
          interval(a.ctr, pct), interval(a.add_to_cart_rate, pct), interval(a.conversion_rate, pct), count(a.orders),
          interval(a.items_per_order, function (v) { return fixed(v, 3); }), interval(a.multi_item_share, pct),
          interval(a.revenue_per_visitor, money), count(a.attributed_orders), money(a.attributed_revenue)];
      }));

    var rows = [];
    r.comparisons.forEach(function (c) {
      METRICS.forEach(function (m) {
        var t = c.metrics[m.key];
        var diff = metricDiff(m, t.diff);
        if (t.ci) diff += ' [' + metricDiff(m, t.ci.lower) + ', ' + metricDiff(m, t.ci.upper) + ']';
        var verdict = t.note ? el('small', t.note) : el('span', t.significant ? 'yes' : 'no', t.significant ? 'yes' : '');
        rows.push([c.arm + ' vs ' + c.control, m.label, metricValue(m, t.control), metricValue(m, t.treatment), diff,
          isNum(t.relative_lift) ? (t.relative_lift > 0 ? '+' : '') + (t.relative_lift * 100).toFixed(1) + '%' : '–',
          pValue(t.p_value), verdict]);
      });
    });
    table('comparisons', ['Comparison', 'Metric', 'Control', 'Treatment', 'Difference [interval]', 'Lift', 'p-value', 'Significant'], rows);

    var pr = r.projection;
    $('projection-note').textContent = 'Orders per year: ' + (isNum(pr.orders_per_year) ? Math.round(pr.orders_per_year).toLocaleString() : 'unknown') +
      ' (' + pr.orders_per_year_note + '). Average item value (control revenue / control items): ' + money(pr.average_item_value) + '.';
    table('projection', ['Arm', 'Items per order (control → arm)', 'Yearly revenue change', 'Low', 'High', 'Note'],
      pr.arms.map(function (a) {
        return [a.arm, fixed(a.items_per_order_control, 3) + ' → ' + fixed(a.items_per_order_treatment, 3),
          money(a.yearly_revenue_change), money(a.low), money(a.high), a.note || ''];
      }));

    $('report').hidden = false;
    drawCharts(r);
  }

  function drawCharts(r) {
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    if (typeof Chart !== 'function') {
      $('charts-note').textContent = 'Charts are unavailable: ${CHART_JS_PATH} did not load.';
      return;
    }
    $('charts-note').textContent = '';
    var names = r.arms.map(function (a) { return a.arm; });
    charts.push(intervalChart('chart-conversion', 'Conversion rate (' + level(r.interval_level) + ' interval)', names, r.arms.map(function (a) { return a.conversion_rate; }), 100, '%'));
    charts.push(intervalChart('chart-items', 'Items per order', names, r.arms.map(function (a) { return a.items_per_order; }), 1, ''));
    charts.push(intervalChart('chart-revenue', 'Revenue per visitor' + (r.currency ? ' (' + r.currency + ')' : ''), names, r.arms.map(function (a) { return a.revenue_per_visitor; }), 1, ''));
    charts.push(sequentialChart(r));
  }

  function intervalChart(id, title, names, estimates, scale, unit) {
    var v = function (x) { return isNum(x) ? x * scale : null; };
    return new Chart($(id), {
      type: 'bar',
      data: {
        labels: names,
        datasets: [
          { type: 'bar', label: 'interval', data: estimates.map(function (e) { return e.ci ? [v(e.ci.lower), v(e.ci.upper)] : null; }),
            backgroundColor: 'rgba(31,119,180,0.25)', borderColor: '#1f77b4', borderWidth: 1, barPercentage: 0.35 },
          { type: 'line', label: 'estimate', data: estimates.map(function (e) { return v(e.value); }), showLine: false,
            pointRadius: 6, pointStyle: 'rectRot', backgroundColor: '#0b3c5d', borderColor: '#0b3c5d' }
        ]
      },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: { title: { display: true, text: title } },
        scales: { y: { beginAtZero: true, ticks: { callback: function (t) { return Number(t.toPrecision(4)) + unit; } } } }
      }
    });
  }

  function sequentialChart(r) {
    var days = r.sequential.length ? r.sequential[0].conversion_rate.series.map(function (p) { return p.day; }) : [];
    var datasets = [];
    var floor = 1e-12;
    // The axis reaches one decade below the smallest of α and every p-value, so the α line always shows.
    var lowest = r.alpha_per_comparison;
    r.sequential.forEach(function (s) {
      s.conversion_rate.series.concat(s.revenue_per_visitor.series).forEach(function (p) { lowest = Math.min(lowest, Math.max(floor, p.p_value)); });
    });
    var axisMin = Math.pow(10, Math.floor(Math.log10(lowest)) - 1);
    r.sequential.forEach(function (s, i) {
      var color = COLORS[(i + 1) % COLORS.length];
      datasets.push({ label: s.arm + ': conversion', data: s.conversion_rate.series.map(function (p) { return Math.max(floor, p.p_value); }),
        borderColor: color, backgroundColor: color, tension: 0, pointRadius: 2 });
      datasets.push({ label: s.arm + ': revenue per visitor', data: s.revenue_per_visitor.series.map(function (p) { return Math.max(floor, p.p_value); }),
        borderColor: color, backgroundColor: color, borderDash: [6, 4], tension: 0, pointRadius: 2 });
    });
    datasets.push({ label: 'α = ' + r.alpha_per_comparison, data: days.map(function () { return r.alpha_per_comparison; }),
      borderColor: '#a00', borderDash: [2, 2], pointRadius: 0, borderWidth: 1 });
    return new Chart($('chart-sequential'), {
      type: 'line',
      data: { labels: days, datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false,
        plugins: {
          title: { display: true, text: 'Always-valid p-value (mSPRT) by day, log scale: safe to stop once a line is under α' },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ': p = ' + (ctx.parsed.y <= floor ? '< ' + floor : pValue(ctx.parsed.y)); } } }
        },
        scales: { y: { type: 'logarithmic', min: axisMin, max: 1, title: { display: true, text: 'p-value' },
          ticks: { callback: function (v) { var l = Math.log10(v); return Math.abs(l - Math.round(l)) < 1e-9 ? (v >= 0.001 ? String(v) : '1e' + Math.round(l)) : ''; } } } }
      }
    });
  }

  // ---- loading ----
  function apiMessage(body) {
    return body && body.error && typeof body.error.message === 'string' ? body.error.message : '';
  }
  function showError(code, body) {
    var message = apiMessage(body);
    var suffix = message ? ': ' + message : '';
    if (code === 401) {
      storeKey(null);
      status('The key was refused (401)' + suffix + '. Enter a valid secret key of seller ' + seller + '.', 'error');
      askForKey();
    } else if (code === 403) {
      storeKey(null);
      status('This key may not read this report (403)' + suffix + '.', 'error');
      askForKey();
    } else if (code === 404) {
      status('Not found (404)' + suffix + '. Check the experiment id "' + experimentId + '" and the seller "' + seller + '".', 'error');
    } else if (code === 429) {
      status('Too many requests (429)' + suffix + '. Reload in a moment.', 'error');
    } else {
      status('The API answered ' + code + suffix + '.', 'error');
    }
  }
  function load(key) {
    $('key-form').hidden = true;
    status('Loading the report…');
    var url = '/v1/sellers/' + encodeURIComponent(seller) + '/experiments/' + encodeURIComponent(experimentId) + '/report';
    fetch(url, { headers: { Authorization: 'Bearer ' + key }, cache: 'no-store', credentials: 'omit' })
      .then(function (res) {
        return res.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (e) { body = null; }
          if (!res.ok) return showError(res.status, body);
          if (!body || !body.experiment) return status('The API sent something that is not a report.', 'error');
          status('');
          $('forget').hidden = false;
          render(body);
        });
      })
      .catch(function (err) { status('Could not load the report: ' + (err && err.message ? err.message : String(err)), 'error'); });
  }
  function askForKey() {
    $('key-form').hidden = false;
    $('key').focus();
  }

  $('key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    var key = $('key').value.trim();
    if (key.indexOf('sk_') !== 0) {
      status('The report needs a secret key (sk_…); publishable keys (pk_…) cannot read it.', 'error');
      return;
    }
    $('key').value = '';
    storeKey(key);
    load(key);
  });
  $('forget').addEventListener('click', function () {
    storeKey(null);
    $('report').hidden = true;
    $('forget').hidden = true;
    charts.forEach(function (c) { c.destroy(); });
    charts = [];
    status('The key was removed from this tab.');
    askForKey();
  });

  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(seller)) {
    status('Add the seller to the address: ?seller=<seller id>.', 'error');
    return;
  }
  if (!experimentId) {
    status('The address has no experiment id: /admin/experiments/<id>?seller=<seller id>.', 'error');
    return;
  }
  $('heading').textContent = 'Experiment ' + experimentId + ' (seller ' + seller + ')';
  // A key in the fragment (never sent to a server) moves into this tab's storage and out of the address bar.
  var fragment = new URLSearchParams(location.hash.slice(1));
  var fromFragment = fragment.get('key');
  if (fromFragment) {
    storeKey(fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
  }
  var key = storedKey();
  if (key) load(key);
  else {
    status('Enter a secret key of seller ' + seller + ' to see the report.');
    askForKey();
  }
})();
`;

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PlusOne experiment report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<style>${STYLE}</style></head>
<body>
<h1 id="heading">Experiment report</h1>
<p id="status" role="status">Loading…</p>
<form id="key-form" hidden>
<label for="key">Secret key (sk_…)</label>
<input id="key" type="password" autocomplete="off" spellcheck="false" required>
<button type="submit">Show the report</button>
<p><small>The key stays in this browser tab (sessionStorage) and is sent only to this API. You can also open the page as
<code>…#key=sk_…</code>: the part after # never leaves the browser.</small></p>
</form>
<button id="forget" type="button" hidden>Forget the key</button>
<section id="report" hidden>
<h2 id="title"></h2>
<p id="meta"></p>
<h2>Verdict (sequential test)</h2>
<ul id="verdicts"></ul>
<h2>Sample ratio</h2>
<p id="srm"></p>
<h2>Arms</h2>
<table id="arms"></table>
<p id="charts-note" class="warn"></p>
<div class="charts">
<div class="chart"><canvas id="chart-conversion" role="img" aria-label="Conversion rate per arm with its interval"></canvas></div>
<div class="chart"><canvas id="chart-items" role="img" aria-label="Items per order per arm with its interval"></canvas></div>
<div class="chart"><canvas id="chart-revenue" role="img" aria-label="Revenue per visitor per arm with its interval"></canvas></div>
</div>
<h2>Against the control</h2>
<table id="comparisons"></table>
<h2>Sequential p-values</h2>
<div class="chart wide"><canvas id="chart-sequential" role="img" aria-label="Always-valid p-value per day, log scale"></canvas></div>
<h2>Projected yearly revenue change (from items per order)</h2>
<p id="projection-note"></p>
<table id="projection"></table>
</section>
<script src="${CHART_JS_PATH}?v=${CHART_JS_VERSION}"></script>
<script>${SCRIPT}</script>
</body></html>`;

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

let policy: Promise<string> | undefined;

/**
 * The page's Content-Security-Policy: scripts from this origin plus the one inline script
 * (by hash), the inline stylesheet by hash, fetch to this origin only, no framing, no forms
 * posted anywhere. Hashed once per isolate.
 */
export function experimentPagePolicy(): Promise<string> {
  policy ??= Promise.all([sha256Base64(SCRIPT), sha256Base64(STYLE)]).then(
    ([script, style]) =>
      `default-src 'none'; script-src 'self' 'sha256-${script}'; style-src 'sha256-${style}'; connect-src 'self'; ` +
      `base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  );
  return policy;
}

/** The page: the same for every experiment and seller (functions/routes/admin-pages.ts serves it). */
export { PAGE as EXPERIMENT_PAGE };
