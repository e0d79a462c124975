/**
 * Configuration is read once, at start, from the environment, and checked against a spec that
 * names every variable: a bad or missing one stops the service with a message naming it.
 */

export interface Variable<T> {
  readonly name: string;
  /** What the variable sets, for the message when it is wrong. */
  readonly description: string;
  /** The parsed value, or throws a message that says what is wrong (never echoing secrets). */
  parse(raw: string | undefined): T;
}

export type ConfigSpec<T> = { readonly [K in keyof T]: Variable<T[K]> };

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Every variable of the spec, parsed; all problems at once in one ConfigError. */
export function loadConfig<T>(spec: ConfigSpec<T>, source: NodeJS.ProcessEnv = process.env): T {
  const problems: string[] = [];
  const config: Partial<T> = {};
  for (const key of Object.keys(spec) as (keyof T)[]) {
    const variable = spec[key];
    try {
      config[key] = variable.parse(source[variable.name]);
    } catch (error) {
      problems.push(`${variable.name} (${variable.description}): ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as T;
}

function required(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') throw new Error('is required');
  return raw.trim();
}

/** Builders for the variables services use. */
export const env = {
  string(name: string, description: string, fallback?: string): Variable<string> {
    return { name, description, parse: (raw) => required(raw ?? fallback) };
  },
  optional(name: string, description: string): Variable<string | undefined> {
    return {
      name,
      description,
      parse: (raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()),
    };
  },
  port(name: string, description: string, fallback: number): Variable<number> {
    return {
      name,
      description,
      parse: (raw) => {
        const value = raw === undefined || raw === '' ? fallback : Number(raw);
        if (!Number.isInteger(value) || value < 0 || value > 65535) {
          throw new Error('must be a TCP port from 0 to 65535');
        }
        return value;
      },
    };
  },
  integer(name: string, description: string, fallback: number, min: number): Variable<number> {
    return {
      name,
      description,
      parse: (raw) => {
        const value = raw === undefined || raw === '' ? fallback : Number(raw);
        if (!Number.isSafeInteger(value) || value < min) {
          throw new Error(`must be an integer of at least ${min}`);
        }
        return value;
      },
    };
  },
  oneOf<const V extends string>(
    name: string,
    description: string,
    values: readonly V[],
    fallback: V,
  ): Variable<V> {
    return {
      name,
      description,
      parse: (raw) => {
        const value = raw === undefined || raw === '' ? fallback : raw;
        if (!(values as readonly string[]).includes(value)) {
          throw new Error(`must be one of ${values.join(', ')}`);
        }
        return value as V;
      },
    };
  },
  list(name: string, description: string): Variable<string[]> {
    return {
      name,
      description,
      parse: (raw) =>
        (raw ?? '')
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0),
    };
  },
};
