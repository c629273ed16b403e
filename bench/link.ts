/**
 * `npm run bench:link`: generates a kernel-shaped link job — 500+ nasm objects that call and point into each other
 * (PC32/PLT32, 32S and 64-bit relocations, rodata strings, data, bss, Limine request sections) plus one large
 * object — and links it with the Limine-style script using ostool link, GNU ld (bfd), gold and ld.lld, all in
 * this run, each writing its output to a file in the same directory. `ostool link` runs as users run it
 * (`node bin/ostool.js link`, after one untimed run that fills its code cache), and again without
 * NODE_EXTRA_CA_CERTS (when set: Node reads that bundle at every start) and without the code cache. Prints one
 * table (best and median wall time, best CPU time, peak RSS per linker over BENCH_RUNS runs, default 5), the
 * machine's cores and load, ratios against ld.lld and GNU ld, whether ostool's loaded image equals GNU ld's, node's
 * own start-up time for scale, and the in-process link() time.
 * Override the object count with BENCH_OBJECTS=N.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readElf } from '../src/elf/reader.js';
import { machineLine, measure, secs, withoutExtraCaCerts, type Measurement } from './measure.js';

const ROOT = new URL('..', import.meta.url).pathname;
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 520);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FUNCTIONS_PER_OBJECT = 24;
const LARGE_FUNCTIONS = 20000;
// gold's script parser rejects expressions in FLAGS(), so the Limine template's flags are written as numbers.
const SCRIPT = readFileSync(join(ROOT, 'tests/linker/fixtures/limine-template.ld'), 'utf8')
  .replace('FLAGS((1 << 0) | (1 << 2))', 'FLAGS(5)')
  .replace('FLAGS((1 << 2))', 'FLAGS(4)')
  .replaceAll('FLAGS((1 << 1) | (1 << 2))', 'FLAGS(6)');

/** One ordinary object: functions calling into the next objects, data pointing across objects. */
function smallObject(i: number, n: number): string {
  const lines = ['bits 64', 'default rel', 'section .text'];
  const next = (k: number) => (i + k) % n;
  for (let j = 0; j < FUNCTIONS_PER_OBJECT; j++) lines.push(`global f${i}_${j}`);
  lines.push(`extern ${[1, 3, 7].map((k) => `f${next(k)}_0, data${next(k)}`).join(', ')}`);
  if (i !== 0) lines.push('extern kmain');
  for (let j = 0; j < FUNCTIONS_PER_OBJECT; j++) {
    lines.push(`f${i}_${j}:`, '    push rbx');
    lines.push(
      `    call f${next(1)}_0`,
      `    lea rax, [str${i}]`,
      `    mov rbx, strict dword data${next(3)}`,
      `    mov rcx, [data${next(7)}]`,
    );
    lines.push(
      j + 1 < FUNCTIONS_PER_OBJECT ? `    call f${i}_${j + 1}` : '    nop',
      '    pop rbx',
      '    ret',
    );
  }
  if (i === 0) lines.push('global kmain', 'kmain:', '    call f0_0', '.halt: hlt', '    jmp .halt');
  lines.push(
    'section .rodata',
    `str${i}: db "object ${i} says hello", 0`,
    `table${i}: dq ${Array.from({ length: 8 }, (_, k) => `f${i}_${k}`).join(', ')}`,
  );
  lines.push('section .data', `global data${i}`, 'align 8', `data${i}: dq f${i}_0, data${next(1)}, str${i}`);
  lines.push('section .bss', `buffer${i}: resb 256`);
  if (i % 50 === 0)
    lines.push('section .requests', `request${i}: dq 0x${(0xc0ffee00 + i).toString(16)}, 0, 0, 0, 0, 0`);
  return `${lines.join('\n')}\n`;
}

/** The large object: thousands of functions and a pointer table with a relocation per entry. */
function largeObject(): string {
  const lines = ['bits 64', 'default rel', 'extern data0, f1_0', 'section .text'];
  for (let j = 0; j < LARGE_FUNCTIONS; j++) {
    lines.push(
      `big${j}:`,
      `    lea rax, [big${(j * 7) % LARGE_FUNCTIONS}]`,
      '    mov rdx, strict dword data0',
      j % 10 === 0 ? '    call f1_0' : '    add rax, rdx',
      '    ret',
    );
  }
  lines.push('section .data', 'align 8', 'big_table:');
  for (let j = 0; j < LARGE_FUNCTIONS; j += 8)
    lines.push(`    dq ${Array.from({ length: 8 }, (_, k) => `big${j + k}`).join(', ')}`);
  lines.push('section .bss', 'big_buffer: resb 1048576');
  return `${lines.join('\n')}\n`;
}

async function assembleAll(dir: string, sources: Array<{ name: string; text: string }>): Promise<string[]> {
  const outputs: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < sources.length) {
      const { name, text } = sources[next++]!;
      const src = join(dir, `${name}.asm`);
      const out = join(dir, `${name}.o`);
      writeFileSync(src, text);
      await new Promise<void>((resolve, reject) => {
        const child = spawn('nasm', ['-f', 'elf64', src, '-o', out], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nasm failed on ${name}`))));
      });
      outputs.push(out);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, cpus().length) }, worker));
  return sources.map((s) => join(dir, `${s.name}.o`));
}

/** What a loader maps: each PT_LOAD's file bytes and addresses, plus the entry point (equal means same image). */
function loadedImage(path: string): string {
  const data = readFileSync(path);
  const elf = readElf(path, data);
  const segments = elf.segments
    .filter((p) => p.type === 1)
    .map(
      (p) =>
        `${p.vaddr}:${p.memsz}:${Buffer.from(data.subarray(p.offset, p.offset + p.filesz)).toString('hex')}`,
    );
  return `${elf.header.entry}|${segments.join('|')}`;
}

/** True when any .ts file under `dirs` is newer than `compiled` (the benchmark would time stale code). */
function isStale(compiled: string, dirs: string[]): boolean {
  const builtAt = statSync(compiled).mtimeMs;
  return dirs.some((dir) =>
    readdirSync(dir, { recursive: true, encoding: 'utf8' }).some(
      (f) => f.endsWith('.ts') && statSync(join(dir, f)).mtimeMs > builtAt,
    ),
  );
}

function which(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'ostool-bench-link-'));
  try {
    const sources = Array.from({ length: OBJECTS }, (_, i) => ({
      name: `obj${i}`,
      text: smallObject(i, OBJECTS),
    }));
    sources.push({ name: 'large', text: largeObject() });
    const started = Date.now();
    const objects = await assembleAll(dir, sources);
    const bytes = objects.reduce((n, o) => n + statSync(o).size, 0);
    console.log(
      `generated ${objects.length} objects (${(bytes / 1048576).toFixed(1)} MiB, one large) with nasm in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const script = join(dir, 'linker.ld');
    writeFileSync(script, SCRIPT);
    // `ostool link` as users run it (bin/ostool.js: node start-up, the CLI, the link command's modules).
    const cli = join(ROOT, 'bin/ostool.js');
    const built = existsSync(join(ROOT, 'dist/cli/main.js'));
    const ostool = built
      ? [process.execPath, cli, 'link']
      : [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'link'];
    if (!built) console.log('(dist/ not built: running ostool through tsx, which adds its start-up time)');
    else if (isStale(join(ROOT, 'dist/linker/index.js'), [join(ROOT, 'src/linker'), join(ROOT, 'src/elf')]))
      console.log(
        'WARNING: dist/ is older than src/linker or src/elf: run `npm run build` first, or this measures old code',
      );
    const args = (out: string) => ['-T', script, '-o', out, ...objects];
    const results: Measurement[] = [];
    const run = (name: string, command: string[], out: string, env?: NodeJS.ProcessEnv) => {
      // ostool's first run fills its V8 code cache; later runs (what a build loop sees) use it.
      const m = measure(name, command, { runs: RUNS, output: out, env, warmUp: true });
      if (m) results.push(m);
      else console.log(`${name}: failed`);
    };
    const noCaCerts = withoutExtraCaCerts();
    const ostoolElf = join(dir, 'ostool.elf');
    run('ostool link', [...ostool, ...args(ostoolElf)], ostoolElf);
    if (noCaCerts)
      run('ostool link, no NODE_EXTRA_CA_CERTS', [...ostool, ...args(ostoolElf)], ostoolElf, noCaCerts);
    run('ostool link, no code cache', [...ostool, ...args(ostoolElf)], ostoolElf, {
      ...(noCaCerts ?? process.env),
      NODE_DISABLE_COMPILE_CACHE: '1',
    });
    run('GNU ld (bfd)', ['ld.bfd', ...args(join(dir, 'bfd.elf'))], join(dir, 'bfd.elf'));
    if (which('ld.gold')) run('gold', ['ld.gold', ...args(join(dir, 'gold.elf'))], join(dir, 'gold.elf'));
    else console.log('gold: not installed');
    if (which('ld.lld')) run('ld.lld', ['ld.lld', ...args(join(dir, 'lld.elf'))], join(dir, 'lld.elf'));
    else console.log('ld.lld: not installed (apt-get install lld)');
    // The floor under any Node.js tool: starting node and doing nothing.
    const idle = join(dir, 'idle.out');
    const nodeIdle = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(idle)}, '')`];
    const floors = [measure('(node start-up alone)', nodeIdle, { runs: RUNS, output: idle })];
    if (noCaCerts)
      floors.push(
        measure('(node start-up alone, no NODE_EXTRA_CA_CERTS)', nodeIdle, {
          runs: RUNS,
          output: idle,
          env: noCaCerts,
        }),
      );
    const ours = results.find((r) => r.name === 'ostool link');
    console.log('');
    console.log(machineLine(loadAtStart));
    console.log(
      `| linker | time (s, best) | median (s) | CPU user+sys (s) | peak RSS (MiB) | output (KiB) | time vs ostool | RSS vs ostool |`,
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of results) {
      const timeRatio = ours ? (r.seconds / ours.seconds).toFixed(2) : '-';
      const rssRatio = ours ? (r.rssMiB / ours.rssMiB).toFixed(2) : '-';
      console.log(
        `| ${r.name} | ${secs(r.seconds)} | ${secs(r.median)} | ${r.cpu.toFixed(2)} | ${r.rssMiB.toFixed(0)} | ${((r.size ?? 0) / 1024).toFixed(0)} | ${timeRatio}x | ${rssRatio}x |`,
      );
    }
    for (const floor of floors)
      if (floor)
        console.log(
          `| ${floor.name} | ${secs(floor.seconds)} | ${secs(floor.median)} | ${floor.cpu.toFixed(2)} | ${floor.rssMiB.toFixed(0)} | - | - | - |`,
        );
    const bfd = results.find((r) => r.name === 'GNU ld (bfd)');
    const lld = results.find((r) => r.name === 'ld.lld');
    if (ours && bfd) {
      const same = loadedImage(ostoolElf) === loadedImage(join(dir, 'bfd.elf'));
      console.log(
        `\nostool's loaded image (PT_LOAD bytes, addresses, entry) equals GNU ld's: ${same ? 'yes' : 'NO'}`,
      );
      console.log(
        `ostool takes ${(ours.seconds / bfd.seconds).toFixed(2)}x GNU ld's time, ${(ours.cpu / Math.max(bfd.cpu, 0.01)).toFixed(2)}x its CPU time`,
      );
    }
    for (const r of results.filter((r) => r.name.startsWith('ostool link')))
      if (lld)
        console.log(
          `${r.name}: ${(r.seconds / lld.seconds).toFixed(2)}x ld.lld's time (best), ${(r.median / lld.median).toFixed(2)}x (median), ${(r.cpu / Math.max(lld.cpu, 0.01)).toFixed(2)}x its CPU time (target: at most 1x its time)`,
        );
    const floor = floors[0];
    if (ours && floor)
      console.log(
        `of ostool's ${secs(ours.seconds)} s, ${secs(floor.seconds)} s is node itself starting (no JavaScript tool can go below that)`,
      );
    // The same link in this process, without node's start-up and module loading (best of BENCH_RUNS).
    const { link } = await import('../src/linker/index.js');
    const inputs = objects.map((o) => ({ name: o, data: readFileSync(o) }));
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      link({ inputs, script: SCRIPT });
      times.push(performance.now() - started);
    }
    console.log(
      `ostool link() in-process (inputs already in memory): first (cold JIT) ${secs(times[0]! / 1000)} s, best ${secs(Math.min(...times) / 1000)} s`,
    );
  } finally {
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
