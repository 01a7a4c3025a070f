/** Where a command writes: stdout for results, stderr for warnings and progress. */
export interface Io {
  out(line: string): void;
  err(line: string): void;
}

/** Process streams. Warnings beyond `maxWarnings` are counted, not printed. */
export function processIo(maxWarnings = 20): Io & { flushWarnings(): void } {
  let warnings = 0;
  return {
    out: (line) => process.stdout.write(line + '\n'),
    err: (line) => {
      if (line.startsWith('warning:')) {
        warnings++;
        if (warnings > maxWarnings) return;
      }
      process.stderr.write(line + '\n');
    },
    flushWarnings: () => {
      if (warnings > maxWarnings) process.stderr.write(`warning: ${warnings - maxWarnings} more warnings not shown\n`);
    },
  };
}
