export * from './consumer.js';
export * from './event.js';
export * from './recent-ids.js';
export * from './store.js';
