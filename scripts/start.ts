/**
 * `npm start`. The demo marketplace (generated sellers, trained models, the local edge) is
 * not built yet; until it is, this says what works today and what is coming.
 */
const lines = [
  'PlusOne: recommendations that add one more item to the basket.',
  '',
  'The demo marketplace is not built yet. When it is, `npm start` will generate five demo',
  'sellers, train their models, publish them to the local edge and open the storefronts.',
  '',
  'What works today:',
  '  npx plusone train --train interactions.csv --model lightfm --loss warp --out models/warp',
  '  npx plusone evaluate --model models/warp --test test.csv',
  '  npm run bench:lightfm      # against LightFM on ../shared/bench',
  '  npm test',
  '',
  'Run `npx plusone --help` for every command.',
];
console.log(lines.join('\n'));
