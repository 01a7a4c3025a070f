export { docsPage } from './docs-page.js';
export { openApiDocument } from './document.js';
