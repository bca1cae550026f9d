/** Finding installed programs (brokers and their tools) for the suites that launch them. */
import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` in `preferredDirs`, then on PATH. */
export function findExecutable(name: string, preferredDirs: string[]): string | undefined {
  const dirs = [...preferredDirs, ...(process.env.PATH ?? '').split(delimiter).filter(Boolean)];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}
