/**
 * The fixed vocabulary of the demo marketplace: product types, themes, colours and the five
 * sellers. Only this file says what the marketplace sells; `marketplace.ts` draws the
 * catalogs, customers and orders from it.
 */

/** A kind of product. Sizes of apparel are variants of one item, not separate items. */
interface ProductType {
  id: string;
  /** Short code, the start of item ids (`tee-0042-navy`). */
  code: string;
  label: string;
  /** The catalog's `category`. */
  category: string;
  /** Typical price; a design's premium and the seller's price level scale it. */
  basePrice: number;
  /** Colours an item of this type comes in (each colour is its own item). */
  colours: readonly string[];
  /** Most units of one item on an order line (stickers come in handfuls). */
  quantityMax: number;
}

export const PRODUCT_TYPES: readonly ProductType[] = [
  {
    id: 't-shirt',
    code: 'tee',
    label: 'T-Shirt',
    category: 't-shirts',
    basePrice: 24,
    colours: ['black', 'white', 'navy', 'heather-grey', 'forest-green', 'maroon'],
    quantityMax: 2,
  },
  {
    id: 'hoodie',
    code: 'hoodie',
    label: 'Hoodie',
    category: 'hoodies',
    basePrice: 46,
    colours: ['black', 'navy', 'heather-grey', 'forest-green'],
    quantityMax: 1,
  },
  { id: 'mug', code: 'mug', label: 'Mug', category: 'mugs', basePrice: 15, colours: ['white', 'black'], quantityMax: 4 },
  { id: 'poster', code: 'poster', label: 'Poster', category: 'posters', basePrice: 22, colours: ['full-colour'], quantityMax: 2 },
  { id: 'canvas', code: 'canvas', label: 'Canvas Print', category: 'canvas-prints', basePrice: 64, colours: ['full-colour'], quantityMax: 1 },
  { id: 'sticker', code: 'sticker', label: 'Sticker', category: 'stickers', basePrice: 4, colours: ['full-colour'], quantityMax: 5 },
  { id: 'tote', code: 'tote', label: 'Tote Bag', category: 'tote-bags', basePrice: 19, colours: ['natural', 'black'], quantityMax: 2 },
];

/** How dark a colour is (0 light, 1 dark): customers lean to one end. */
export const COLOUR_DARKNESS: Readonly<Record<string, number>> = {
  black: 1,
  navy: 0.9,
  'forest-green': 0.8,
  maroon: 0.75,
  'heather-grey': 0.4,
  white: 0,
  natural: 0.1,
  'full-colour': 0.5,
};

/**
 * What goes with what in one order: weight of adding type B (column) after type A (row),
 * in PRODUCT_TYPES order. A t-shirt goes with the matching mug or sticker, a poster with a
 * sticker or a canvas, and so on. This is the structure basket completion should learn.
 */
export const COMPLEMENTS: readonly (readonly number[])[] = [
  //  tee   hoodie mug   poster canvas sticker tote
  [0.02, 0.14, 0.34, 0.1, 0.03, 0.27, 0.1], // t-shirt
  [0.3, 0.0, 0.26, 0.06, 0.02, 0.26, 0.1], // hoodie
  [0.36, 0.08, 0.02, 0.12, 0.04, 0.24, 0.14], // mug
  [0.12, 0.04, 0.18, 0.02, 0.22, 0.34, 0.08], // poster
  [0.08, 0.02, 0.16, 0.38, 0.0, 0.22, 0.14], // canvas
  [0.3, 0.1, 0.26, 0.18, 0.02, 0.04, 0.1], // sticker
  [0.28, 0.06, 0.3, 0.08, 0.02, 0.26, 0.0], // tote
];

/** A theme: words that make the names of its designs. */
interface Theme {
  id: string;
  label: string;
  /** Share of all customers who count it among their favourites (relative). */
  appeal: number;
  subjects: readonly string[];
  styles: readonly string[];
}

export const THEMES: readonly Theme[] = [
  {
    id: 'cats',
    label: 'Cats',
    appeal: 1.4,
    subjects: ['Cat', 'Kitten', 'Tabby', 'Black Cat', 'Sleepy Cat', 'Cat Loaf', 'Ginger Cat', 'Cat Nap', 'Purr', 'Whiskers'],
    styles: ['Club', 'Line Art', 'Portrait', 'Pattern', 'Mood', 'Society', 'Doodle', 'Silhouette'],
  },
  {
    id: 'dogs',
    label: 'Dogs',
    appeal: 1.2,
    subjects: ['Corgi', 'Dachshund', 'Good Boy', 'Pug', 'Shiba', 'Golden Retriever', 'Beagle', 'Dog Mom'],
    styles: ['Club', 'Portrait', 'Line Art', 'Pattern', 'Squad', 'Doodle', 'Badge'],
  },
  {
    id: 'space',
    label: 'Space',
    appeal: 1.3,
    subjects: ['Astronaut', 'Nebula', 'Moon Phase', 'Rocket', 'Saturn', 'Comet', 'Galaxy', 'Orbit', 'Eclipse', 'Mars Rover', 'Constellation', 'Space Cat'],
    styles: ['Explorer', 'Line Art', 'Vintage', 'Pixel', 'Poster', 'Mission', 'Map', 'Sunset'],
  },
  {
    id: 'retro',
    label: 'Retro',
    appeal: 1.1,
    subjects: ['Cassette', 'Sunset', 'Roller Skate', 'Boombox', 'Disco', 'Synthwave', 'Arcade', 'VHS', 'Neon Palm', 'Road Trip'],
    styles: ['80s', '70s', 'Stripes', 'Badge', 'Grid', 'Chrome', 'Fade'],
  },
  {
    id: 'botanical',
    label: 'Botanical',
    appeal: 1.2,
    subjects: ['Monstera', 'Fern', 'Wildflower', 'Eucalyptus', 'Cactus', 'Lavender', 'Sunflower', 'Olive Branch', 'Mushroom', 'Peony'],
    styles: ['Print', 'Line Art', 'Watercolour', 'Study', 'Pattern', 'Press', 'Garden'],
  },
  {
    id: 'typography',
    label: 'Typography',
    appeal: 1.0,
    subjects: ['Stay Curious', 'Be Kind', 'Good Vibes', 'Do Epic Stuff', 'Hello', 'Not Today', 'Dream Big', 'Make Art', 'One Day At A Time', 'Keep Going'],
    styles: ['Serif', 'Script', 'Block', 'Stencil', 'Outline', 'Bold', 'Minimal'],
  },
  {
    id: 'mountains',
    label: 'Mountains',
    appeal: 0.9,
    subjects: ['Alps', 'Summit', 'Trail', 'Peak', 'Forest Ridge', 'Glacier', 'Camp', 'Pine Valley'],
    styles: ['Outline', 'Sunrise', 'Badge', 'Topo Map', 'Vintage', 'Minimal', 'Woodcut'],
  },
  {
    id: 'ocean',
    label: 'Ocean',
    appeal: 0.8,
    subjects: ['Wave', 'Whale', 'Lighthouse', 'Octopus', 'Surf', 'Coral', 'Jellyfish', 'Anchor'],
    styles: ['Woodcut', 'Line Art', 'Watercolour', 'Vintage', 'Pattern', 'Badge'],
  },
  {
    id: 'coffee',
    label: 'Coffee',
    appeal: 1.0,
    subjects: ['Espresso', 'But First Coffee', 'Latte Art', 'Coffee Bean', 'Cold Brew', 'Moka Pot', 'Pour Over', 'Caffeine'],
    styles: ['Club', 'Line Art', 'Script', 'Diagram', 'Badge', 'Doodle'],
  },
  {
    id: 'gaming',
    label: 'Gaming',
    appeal: 1.0,
    subjects: ['Game Over', 'Controller', 'Pixel Heart', 'Level Up', 'Dice', 'Joystick', 'Respawn', 'Boss Fight', 'Player One'],
    styles: ['Pixel', '8-bit', 'Neon', 'Glitch', 'Badge', 'Retro'],
  },
  {
    id: 'music',
    label: 'Music',
    appeal: 0.8,
    subjects: ['Vinyl', 'Guitar', 'Headphones', 'Synth', 'Drum Kit', 'Piano Keys', 'Mixtape', 'Soundwave'],
    styles: ['Line Art', 'Poster', 'Vintage', 'Neon', 'Minimal', 'Badge'],
  },
  {
    id: 'skulls',
    label: 'Skulls',
    appeal: 0.6,
    subjects: ['Skull', 'Sugar Skull', 'Skeleton', 'Raven', 'Snake', 'Dagger', 'Moth'],
    styles: ['Engraving', 'Tattoo', 'Neon', 'Floral', 'Woodcut', 'Gothic'],
  },
  {
    id: 'minimal',
    label: 'Minimal',
    appeal: 0.7,
    subjects: ['Circle', 'Line', 'Arch', 'Wave Form', 'Grid', 'Shapes', 'Sun', 'Horizon'],
    styles: ['Mono', 'Earth Tone', 'Bauhaus', 'Abstract', 'Pastel', 'Duotone'],
  },
];

/** One demo seller: what it sells, how much, and at which price level. */
export interface SellerDef {
  id: string;
  name: string;
  tagline: string;
  /** Relative weight of each theme in its catalog (absent: not sold). */
  themes: Readonly<Record<string, number>>;
  /** Relative weight of each product type (absent: not sold). */
  types: Readonly<Record<string, number>>;
  /** Designs (artworks); each comes in a few product types and colours. */
  designs: number;
  /** Relative share of the marketplace's orders. */
  share: number;
  /** Price level against the product types' base prices. */
  priceLevel: number;
}

export const SELLERS: readonly SellerDef[] = [
  {
    id: 'stellar-stitch',
    name: 'Stellar Stitch',
    tagline: 'Space and retro apparel for night owls',
    themes: { space: 3, retro: 2, gaming: 1.2, typography: 1, music: 0.8, cats: 0.6, mountains: 0.6 },
    types: { 't-shirt': 3, hoodie: 1.6, mug: 1.4, poster: 1, sticker: 1.4, tote: 0.5 },
    designs: 340,
    share: 0.32,
    priceLevel: 1.05,
  },
  {
    id: 'purrfect-press',
    name: 'Purrfect Press',
    tagline: 'Cats, dogs and coffee on everything',
    themes: { cats: 3, dogs: 2.2, coffee: 1.5, botanical: 0.8, typography: 0.6 },
    types: { 't-shirt': 2, mug: 2.4, sticker: 1.5, tote: 1, hoodie: 0.6, poster: 0.5 },
    designs: 150,
    share: 0.24,
    priceLevel: 0.95,
  },
  {
    id: 'wild-fern',
    name: 'Wild Fern Studio',
    tagline: 'Botanical and outdoor prints for the walls',
    themes: { botanical: 3, mountains: 2, ocean: 1.6, minimal: 1.2, space: 0.5 },
    types: { poster: 3, canvas: 1.6, mug: 1, tote: 0.8, 't-shirt': 0.8, sticker: 0.8 },
    designs: 170,
    share: 0.18,
    priceLevel: 1.15,
  },
  {
    id: 'loud-letters',
    name: 'Loud Letters',
    tagline: 'Words worth wearing',
    themes: { typography: 3, coffee: 1.5, music: 1.2, retro: 1, minimal: 0.6 },
    types: { 't-shirt': 2.4, mug: 2, sticker: 1.6, tote: 1, hoodie: 0.8, poster: 0.6 },
    designs: 90,
    share: 0.15,
    priceLevel: 0.9,
  },
  {
    id: 'neon-arcade',
    name: 'Neon Arcade',
    tagline: 'Pixels, skulls and synthwave',
    themes: { gaming: 3, retro: 1.6, skulls: 1.4, space: 0.8, music: 0.6 },
    types: { sticker: 2.2, 't-shirt': 2, hoodie: 1.2, poster: 1.2, mug: 0.8 },
    designs: 70,
    share: 0.11,
    priceLevel: 1,
  },
];

/** Price bands of the `price:` item feature (upper bounds, exclusive). */
export const PRICE_BANDS: readonly { label: string; below: number }[] = [
  { label: 'under-10', below: 10 },
  { label: '10-20', below: 20 },
  { label: '20-35', below: 35 },
  { label: '35-60', below: 60 },
  { label: '60-plus', below: Infinity },
];
