/**
 * The demo storefront's own script (/demo/assets/store.js): web/demo/store.ts, bundled by
 * scripts/build-web.ts into store.generated.ts. A cart in localStorage (item ids, per
 * seller), "Add to cart" on product pages and from the widget (`plusone:add-to-cart`), and
 * the cart page, whose rows come from /demo/S/items and whose "Complete your order" widget
 * is rendered again with the cart's items whenever the cart changes.
 */
export { STORE_SCRIPT } from './store.generated.js';
