// Which functions Asyncify must be told about so that vfork() works.
//
// wasmlinux-cc runs Asyncify with `asyncify-ignore-indirect`: otherwise every
// function that makes an indirect call, and all its callers, would be
// instrumented, which slows down most of a program like BusyBox. But then an
// unwind from vfork() stops at the first indirect call on its way up (BusyBox
// calls each applet's main through a table), and the program silently goes on
// as if it were the child (docs/vfork.md, pitfall 1). So we find, from the
// module itself, every function that makes an indirect call which can reach
// vfork, and pass those to Asyncify's add-list.
//
// "Can reach" is decided the way the engine checks indirect calls: by
// signature. A call_indirect of type T can reach vfork if some function of
// type T that may be called indirectly can reach vfork (directly, or through
// further indirect calls). That over-approximates (a qsort comparison has the
// same type as an applet's main) but never misses a path, which is what
// correctness needs; the cost of an extra instrumented function is a little
// speed on calls into it.

import { callGraph, typeKey } from './calls.js';
import { parseNameSection, type WasmModule } from '../../src/core/wasm/reader.js';

export interface AsyncifyPlan {
  /** Functions to add (by name): those making indirect calls that can reach the target. */
  readonly addList: readonly string[];
  /**
   * Imports (module.name) that can unwind: the env.invoke_* whose callee
   * type can reach the target. Asyncify instruments no import call
   * otherwise, not even in a function on the add-list.
   */
  readonly unwindingImports: readonly string[];
  /** How many functions can reach the target (what Asyncify will instrument, roughly). */
  readonly reaching: number;
  /** How many functions the module defines. */
  readonly defined: number;
  /** Why the plan cannot be carried out by name (no names, duplicates), if so. */
  readonly problem: string | null;
}

export interface PlanOptions {
  /**
   * Functions whose indirect calls are known never to lead to the target
   * (a C library's stdio back ends and sort comparisons). Only names that
   * are unique in the module count.
   */
  readonly trustedIndirect?: ReadonlySet<string>;
}

/** Plan the add-list for unwinds that start in the functions named `targets`. */
export function planAsyncify(
  mod: WasmModule,
  targets: string | readonly string[],
  opts: PlanOptions = {},
): AsyncifyPlan {
  const wanted = new Set(typeof targets === 'string' ? [targets] : targets);
  const g = callGraph(mod);
  const nameSec = mod.customs.find((c) => c.name === 'name');
  const names = nameSec ? parseNameSection(mod.bytes, nameSec.payload).functions : new Map();
  const total = g.importedFunctions + g.direct.length;
  const funcImports = mod.imports.filter((i) => i.desc.kind === 'func');
  const typeOf = (f: number): string => {
    let t: number | undefined;
    if (f < g.importedFunctions) {
      const imp = funcImports[f];
      t = imp?.desc.kind === 'func' ? imp.desc.typeIndex : undefined;
    } else t = mod.functions[f - g.importedFunctions];
    const ft = t === undefined ? undefined : mod.types[t];
    return ft ? typeKey(ft) : '?';
  };

  // Reverse edges: who calls f directly, and who calls type T indirectly.
  const callers: number[][] = Array.from({ length: total }, () => []);
  const indirectCallers = new Map<string, number[]>();
  g.direct.forEach((callees, i) => {
    for (const f of callees) if (f < total) callers[f]?.push(i + g.importedFunctions);
  });
  const nameCount = new Map<string, number>();
  for (const n of names.values()) nameCount.set(n, (nameCount.get(n) ?? 0) + 1);
  const trusted = (f: number): boolean => {
    const n = names.get(f);
    return n !== undefined && nameCount.get(n) === 1 && opts.trustedIndirect?.has(n) === true;
  };
  const addIndirectCaller = (key: string, f: number): void => {
    const list = indirectCallers.get(key) ?? [];
    list.push(f);
    indirectCallers.set(key, list);
  };
  g.indirect.forEach((types, i) => {
    if (trusted(i + g.importedFunctions)) return;
    for (const t of types) {
      const ft = mod.types[t];
      if (ft) addIndirectCaller(typeKey(ft), i + g.importedFunctions);
    }
  });
  // A function that calls setjmp makes its other calls through the host's
  // env.invoke_*(index, args…) (docs/setjmp.md): an indirect call of the
  // type without the index.
  const invokeType = new Map<number, string>();
  funcImports.forEach((imp, k) => {
    const ft = imp.desc.kind === 'func' ? mod.types[imp.desc.typeIndex] : undefined;
    if (imp.module === 'env' && imp.name.startsWith('invoke_') && ft && ft.params.length > 0)
      invokeType.set(k, typeKey({ params: ft.params.slice(1), results: ft.results }));
  });
  g.direct.forEach((callees, i) => {
    for (const f of callees) {
      const key = invokeType.get(f);
      if (key !== undefined) addIndirectCaller(key, i + g.importedFunctions);
    }
  });

  // The loop around main calls stop_unwind: an unwind ends there, so what
  // calls it is not on the way (and must stay uninstrumented).
  const runtimeImports = new Set<number>();
  funcImports.forEach((imp, k) => {
    if (imp.module === 'asyncify' && (imp.name === 'stop_unwind' || imp.name === 'start_rewind'))
      runtimeImports.add(k);
  });
  const runtime = new Set<number>();
  g.direct.forEach((callees, i) => {
    if (callees.some((f) => runtimeImports.has(f))) runtime.add(i + g.importedFunctions);
  });

  const starts: number[] = [];
  for (const [f, n] of names) if (wanted.has(n) && f >= g.importedFunctions) starts.push(f);
  if (starts.length === 0) {
    return {
      addList: [],
      unwindingImports: [],
      reaching: 0,
      defined: g.direct.length,
      problem: names.size === 0 ? 'the module has no function names' : null,
    };
  }

  const reach = new Set<number>(starts);
  const viaIndirect = new Set<number>();
  const typesDone = new Set<string>();
  const work = [...starts];
  for (let f = work.pop(); f !== undefined; f = work.pop()) {
    for (const c of callers[f] ?? []) {
      if (!reach.has(c) && !runtime.has(c)) {
        reach.add(c);
        work.push(c);
      }
    }
    if (g.addressTaken.has(f)) {
      const key = typeOf(f);
      if (typesDone.has(key)) continue;
      typesDone.add(key);
      for (const c of indirectCallers.get(key) ?? []) {
        if (runtime.has(c)) continue;
        viaIndirect.add(c);
        if (!reach.has(c)) {
          reach.add(c);
          work.push(c);
        }
      }
    }
  }

  // Asyncify matches names; each one we give must name exactly one function.
  const addList: string[] = [];
  const problems: string[] = [];
  for (const f of [...viaIndirect].sort((a, b) => a - b)) {
    const n = names.get(f);
    if (n === undefined) problems.push(`function ${f} has no name`);
    else if ((nameCount.get(n) ?? 0) > 1) problems.push(`more than one function is named ${n}`);
    else addList.push(n);
  }
  const unwindingImports: string[] = [];
  for (const [k, key] of invokeType) {
    const imp = funcImports[k];
    if (imp && typesDone.has(key)) unwindingImports.push(`${imp.module}.${imp.name}`);
  }
  return {
    addList,
    unwindingImports,
    reaching: reach.size,
    defined: g.direct.length,
    problem: problems.length > 0 ? problems.join('; ') : null,
  };
}
