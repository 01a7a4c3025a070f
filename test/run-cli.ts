export { runCli } from '../trainer/cli/run.js';
