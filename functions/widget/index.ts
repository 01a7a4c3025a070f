export { LATEST_CACHE, VERSIONED_CACHE, widgetRoutes } from './routes.js';
