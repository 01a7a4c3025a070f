import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from '../data/errors.js';
import type { Io } from './io.js';

/** One option of a command, with the help line that documents it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  help: string;
  default?: string | boolean;
  /** Value placeholder in the help text, e.g. F or N. */
  value?: string;
  required?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
}

/** The help text of a command, generated from its option specs. */
export function helpText(spec: CommandSpec): string {
  const rows = Object.entries(spec.options).map(([name, o]) => {
    const flag = `--${name}${o.type === 'string' ? ` ${o.value ?? 'V'}` : ''}`;
    const dflt = o.default !== undefined && o.default !== false ? ` (default ${o.default})` : o.required ? ' (required)' : '';
    return [flag, `${o.help}${dflt}`];
  });
  const width = Math.max(...rows.map((r) => r[0].length), 10) + 2;
  return [
    `plusone ${spec.name}: ${spec.summary}`,
    '',
    `Usage: ${spec.usage}`,
    '',
    'Options:',
    ...rows.map(([f, h]) => `  ${f.padEnd(width)}${h}`),
    `  ${'--help'.padEnd(width)}Show this help`,
  ].join('\n');
}

/**
 * Parses argv against the spec. Unknown options, missing values and missing required
 * options are InputErrors (exit code 2) that name the option and point to --help.
 */
export function parseCommand(spec: CommandSpec, argv: string[]): { values: Record<string, string | boolean | undefined>; help: boolean } {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, o] of Object.entries(spec.options)) options[name] = { type: o.type };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false, allowNegative: false });
  } catch (err) {
    throw new InputError(`plusone ${spec.name}: ${(err as Error).message.replace(/\. To specify.*$/s, '')}. See "plusone ${spec.name} --help".`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { values, help: true };
  for (const [name, o] of Object.entries(spec.options)) {
    if (values[name] === undefined && o.default !== undefined) values[name] = o.default;
    if (o.required && values[name] === undefined) {
      throw new InputError(`plusone ${spec.name}: --${name} is required. See "plusone ${spec.name} --help".`);
    }
  }
  return { values, help: false };
}

/**
 * A command from its spec and its body: `--help` prints the generated help, anything else
 * is parsed (and checked) before the body runs.
 */
export function command(
  spec: CommandSpec,
  body: (values: Record<string, string | boolean | undefined>, io: Io) => Promise<number>,
): (argv: string[], io: Io) => Promise<number> {
  return async (argv, io) => {
    const { values, help } = parseCommand(spec, argv);
    if (help) {
      io.out(helpText(spec));
      return 0;
    }
    return body(values, io);
  };
}

/** A numeric option, checked: `--dim abc` is an error that names the option. */
export function numberOption(
  values: Record<string, unknown>,
  name: string,
  check: { integer?: boolean; min?: number; exclusiveMin?: number; max?: number } = {},
): number {
  const raw = values[name];
  const v = Number(raw);
  const bad = (why: string) => new InputError(`--${name} ${why}, got "${String(raw)}"`);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(v)) throw bad('must be a number');
  if (check.integer && !Number.isInteger(v)) throw bad('must be an integer');
  if (check.min !== undefined && v < check.min) throw bad(`must be >= ${check.min}`);
  if (check.exclusiveMin !== undefined && v <= check.exclusiveMin) throw bad(`must be > ${check.exclusiveMin}`);
  if (check.max !== undefined && v > check.max) throw bad(`must be <= ${check.max}`);
  return v;
}

/** A choice option: the value must be one of `choices`. */
export function choiceOption<T extends string>(values: Record<string, unknown>, name: string, choices: readonly T[]): T {
  const v = values[name];
  if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
    throw new InputError(`--${name} must be one of ${choices.join(', ')}, got "${String(v)}"`);
  }
  return v as T;
}
