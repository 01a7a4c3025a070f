/**
 * The experiment report's section: headings, tables and chart canvases, by the element ids
 * that web/admin/report-view.ts renders into. One markup for both pages that show a report:
 * the standalone report page (experiment-page.ts) and the console (functions/console/).
 * Static HTML: every value is set by the script through textContent.
 */
export const REPORT_SECTION = `<section id="report" hidden>
<h2 id="title"></h2>
<p id="meta"></p>
<h2>Verdict (sequential test)</h2>
<ul id="verdicts"></ul>
<h2>Sample ratio</h2>
<p id="srm"></p>
<h2>Arms</h2>
<table id="arms"></table>
<p id="charts-note" class="warn"></p>
<div id="charts" class="charts">
<div class="chart"><canvas id="chart-conversion" role="img" aria-label="Conversion rate per arm with its interval"></canvas></div>
<div class="chart"><canvas id="chart-items" role="img" aria-label="Items per order per arm with its interval"></canvas></div>
<div class="chart"><canvas id="chart-revenue" role="img" aria-label="Revenue per visitor per arm with its interval"></canvas></div>
</div>
<h2>Against the control</h2>
<table id="comparisons"></table>
<h2>Sequential p-values</h2>
<div class="chart wide"><canvas id="chart-sequential" role="img" aria-label="Always-valid p-value of conversion per day, log scale"></canvas></div>
<div class="chart wide"><canvas id="chart-sequential-revenue" role="img" aria-label="Always-valid p-value of revenue per visitor per day, log scale"></canvas></div>
<h2>Projected yearly revenue change (from items per order)</h2>
<p id="projection-note"></p>
<table id="projection"></table>
</section>`;
