import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Files (relative to the repository root) and the files each imports, for relative imports only. */
export type ImportGraph = Map<string, string[]>;

// `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`, type-only ones included.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/** The relative specifiers a source text imports (bare package names are left out). */
export function relativeImports(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((match) => match[1]!).filter((specifier) => specifier.startsWith('.'));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !/\.test(-d)?\.tsx?$/.test(name) ? [path] : [];
  });
}

function resolveImport(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  throw new Error(`${from}: cannot resolve import '${specifier}'`);
}

/** The import graph of every non-test source file under `dirs`, with paths relative to `root`. */
export function readImportGraph(root: string, dirs: string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const dir of dirs) {
    for (const file of sourceFiles(join(root, dir))) {
      const imports = relativeImports(readFileSync(file, 'utf8')).map((specifier) => relative(root, resolveImport(file, specifier)));
      graph.set(relative(root, file), imports);
    }
  }
  return graph;
}

/** Every import cycle, each as the files along it (first file repeated at the end); one cycle per strongly connected group. */
export function findCycles(graph: ImportGraph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'visiting');
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const seen = state.get(next);
      if (seen === 'visiting') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (seen === undefined) visit(next);
    }
    path.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

/** A rule: files under `from` must not import files under any of `mustNotImport` (directory prefixes). */
export interface ImportRule {
  from: string;
  mustNotImport: string[];
}

/** Every import that breaks a rule, as `importer -> imported`. */
export function forbiddenImports(graph: ImportGraph, rules: ImportRule[]): string[] {
  const broken: string[] = [];
  for (const [file, imports] of graph) {
    for (const rule of rules) {
      if (!file.startsWith(rule.from)) continue;
      for (const imported of imports) if (rule.mustNotImport.some((dir) => imported.startsWith(dir))) broken.push(`${file} -> ${imported}`);
    }
  }
  return broken;
}
