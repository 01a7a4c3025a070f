export { demoCatalog } from './demo-catalog.js';
export type { DemoCatalog, Product } from './demo-catalog.js';
export { DEMO_SELLERS_KEY, parseDemoSellers } from './demo-sellers.js';
export type { DemoSeller } from './demo-sellers.js';
export { placeholderSvg, escapeXml, wrapTitle } from './placeholder-svg.js';
export { demoRoutes } from './routes.js';
export type { DemoDeps } from './routes.js';
