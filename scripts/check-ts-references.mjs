// Checks the tsconfig project references against package.json, so `tsc -b` builds every package
// after what it imports (after opentelemetry-js's scripts/update-ts-configs.js):
// - a workspace package's tsconfig.json references exactly its workspace dependencies
//   (dependencies and devDependencies) that have a tsconfig.json;
// - a folder with a tsconfig.json but no package.json that the root references (infra/local) is a
//   leaf: it references nothing;
// - the root tsconfig.json references every one of them.
// Without arguments it prints what differs and exits 1; with --write it rewrites the references,
// touching nothing else in the file. References are compared as sets: order is left as written.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write');

/** Repository-relative, with forward slashes: how paths are written in tsconfig files. */
const show = (dir) => relative(root, dir).split(sep).join('/') || '.';

function parseJson(text, file) {
  try {
    return JSON.parse(text);
  } catch (error) {
    console.error(`${show(file)} is not plain JSON: ${error.message}`);
    process.exit(2);
  }
}

const readJson = (file) => parseJson(readFileSync(file, 'utf8'), file);

/** The `packages:` globs of pnpm-workspace.yaml (a list of strings is all this needs to read). */
function workspaceGlobs() {
  const globs = [];
  let inPackages = false;
  for (const line of readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n')) {
    if (/^\S/.test(line)) inPackages = /^packages:\s*(#.*)?$/.test(line);
    const item = inPackages && /^\s+-\s+(['"]?)([^'"#]+?)\1\s*(#.*)?$/.exec(line);
    if (item) globs.push(item[2]);
  }
  return globs;
}

function subdirectories(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules')
    .filter((entry) => !entry.name.startsWith('.'))
    .map((entry) => join(dir, entry.name));
}

/** Folders matching a workspace glob: `*` within one path segment, `**` across any number. */
function expand(glob) {
  let dirs = [root];
  for (const segment of glob.replace(/\/$/, '').split('/')) {
    if (segment === '**') {
      const all = [];
      const walk = (dir) => {
        all.push(dir);
        subdirectories(dir).forEach(walk);
      };
      dirs.forEach(walk);
      dirs = all;
    } else if (segment.includes('*')) {
      const escaped = segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*');
      const pattern = new RegExp(`^${escaped}$`);
      dirs = dirs.flatMap((dir) =>
        subdirectories(dir).filter((sub) => pattern.test(sub.slice(dir.length + 1))),
      );
    } else {
      dirs = dirs.map((dir) => join(dir, segment)).filter((dir) => existsSync(dir));
    }
  }
  return dirs;
}

/** The folders a tsconfig.json references, as absolute paths. */
function referencedDirs(dir, tsconfig) {
  return (tsconfig.references ?? []).map(({ path }) => {
    const target = resolve(dir, path);
    return target.endsWith('.json') ? dirname(target) : target;
  });
}

function findProjects() {
  const included = new Set();
  const excluded = new Set();
  for (const glob of workspaceGlobs()) {
    const negated = glob.startsWith('!');
    for (const dir of expand(negated ? glob.slice(1) : glob)) {
      if (existsSync(join(dir, 'package.json'))) (negated ? excluded : included).add(dir);
    }
  }
  const packageDirs = [...included].filter((dir) => !excluded.has(dir) && dir !== root);
  const leafDirs = referencedDirs(root, readJson(join(root, 'tsconfig.json'))).filter(
    (dir) => existsSync(join(dir, 'tsconfig.json')) && !packageDirs.includes(dir),
  );
  return [...packageDirs, ...leafDirs].map((dir) => ({
    dir,
    manifest: existsSync(join(dir, 'package.json')) ? readJson(join(dir, 'package.json')) : {},
    hasTsconfig: existsSync(join(dir, 'tsconfig.json')),
  }));
}

/** The folders `project` must reference: its workspace dependencies that have a tsconfig. */
function expectedReferences(project, byName) {
  const names = Object.keys({
    ...project.manifest.dependencies,
    ...project.manifest.devDependencies,
  });
  return names
    .map((name) => byName.get(name))
    .filter((dependency) => dependency !== undefined && dependency.hasTsconfig)
    .map((dependency) => dependency.dir);
}

/**
 * Where the top-level `"references"` member is in JSON text, if it has one: `key` is the offset of
 * its name, `start` and `end` those of its array.
 */
function referencesSpan(text) {
  let depth = 0;
  let name;
  let key;
  let start;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      name = { value: JSON.parse(text.slice(i, end + 1)), at: i };
      i = end;
    } else if (char === ':' && depth === 1 && name.value === 'references') {
      key = name.at;
      start = i + 1 + text.slice(i + 1).search(/\S/);
    } else if (char === '{' || char === '[') {
      depth += 1;
    } else if (char === '}' || char === ']') {
      depth -= 1;
      if (depth === 1 && start !== undefined) return { key, start, end: i + 1 };
    }
  }
  return undefined;
}

/** The tsconfig text with `references` set to `dirs` (2-space JSON, as prettier leaves it). */
function withReferences(text, dir, dirs) {
  const span = referencesSpan(text);
  if (dirs.length === 0) {
    if (span === undefined) return text;
    // Drop the member with the comma that separates it from its neighbour.
    const before = text.slice(0, span.key).trimEnd();
    if (before.endsWith(',')) return before.slice(0, -1) + text.slice(span.end);
    return text.slice(0, span.key) + text.slice(span.end).replace(/^\s*,\s*/, '');
  }
  const value = JSON.stringify(
    dirs.map((target) => ({ path: relative(dir, target).split(sep).join('/') })),
    null,
    2,
  ).replaceAll('\n', '\n  ');
  if (span !== undefined) return text.slice(0, span.start) + value + text.slice(span.end);
  const close = text.lastIndexOf('}');
  return `${text.slice(0, close).trimEnd()},\n  "references": ${value}\n${text.slice(close)}`;
}

/**
 * Compares one tsconfig's references with what they should be; returns the problems found and,
 * with --write, fixes them (keeping the references that stay in their order, adding the missing
 * ones sorted).
 */
function reconcile(dir, expected, reason) {
  const file = join(dir, 'tsconfig.json');
  const text = readFileSync(file, 'utf8');
  const actual = referencedDirs(dir, parseJson(text, file));
  const missing = expected.filter((target) => !actual.includes(target)).sort();
  const extra = actual.filter((target) => !expected.includes(target));
  const repeated = actual.filter((target, index) => actual.indexOf(target) !== index);
  const problems = [
    ...missing.map((target) => `${show(file)} does not reference ${show(target)} (${reason})`),
    ...extra.map((target) => `${show(file)} references ${show(target)}, which it should not`),
    ...repeated.map((target) => `${show(file)} references ${show(target)} twice`),
  ];
  if (write && problems.length > 0) {
    const kept = actual.filter(
      (target, index) => expected.includes(target) && actual.indexOf(target) === index,
    );
    writeFileSync(file, withReferences(text, dir, [...kept, ...missing]));
  }
  return problems;
}

const projects = findProjects();
const byName = new Map(
  projects.filter((p) => p.manifest.name !== undefined).map((p) => [p.manifest.name, p]),
);
const built = projects.filter((project) => project.hasTsconfig);
const problems = [
  ...built.flatMap((project) =>
    reconcile(
      project.dir,
      expectedReferences(project, byName),
      'a workspace dependency in its package.json',
    ),
  ),
  ...reconcile(
    root,
    built.map((project) => project.dir),
    'a workspace project with a tsconfig.json',
  ),
];

if (problems.length === 0) {
  console.log(`tsconfig references match package.json (${built.length} projects)`);
} else if (write) {
  console.log(`fixed:\n  ${problems.join('\n  ')}`);
} else {
  console.error(
    `tsconfig references differ from package.json:\n  ${problems.join('\n  ')}\n` +
      'Run `pnpm tsrefs:write` to fix them.',
  );
  process.exitCode = 1;
}
