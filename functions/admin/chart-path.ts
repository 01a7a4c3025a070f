/**
 * Where the experiment report page loads Chart.js from. A module of its own, holding only
 * this constant, because the page's script (web/admin/report-page.ts) bundles it too.
 */
export const CHART_JS_PATH = '/admin/assets/chart.umd.min.js';
