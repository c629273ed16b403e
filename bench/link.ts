/**
 * `npm run bench:link`: generates a kernel-shaped link job — 500+ nasm objects that call and point into each other
 * (PC32/PLT32, 32S and 64-bit relocations, rodata strings, data, bss, Limine request sections) plus one large
 * object — and links it with the Limine-style script using ostool link, GNU ld (bfd), gold and ld.lld, all in
 * this run. Prints wall time and peak RSS per linker (best of BENCH_RUNS, default 3) and ratios against ostool.
 * Override the object count with BENCH_OBJECTS=N.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 520);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
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

interface Measurement {
  name: string;
  seconds: number;
  rssMiB: number;
  size: number;
}

/** Runs a command under GNU time; returns the best wall time and its peak RSS over RUNS runs. */
function measure(name: string, command: string[], output: string): Measurement | undefined {
  let best: Measurement | undefined;
  for (let run = 0; run < RUNS; run++) {
    rmSync(output, { force: true });
    const result = spawnSync('/usr/bin/time', ['-f', '%e %M', ...command], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (result.status !== 0) {
      process.stderr.write(`${name} failed: ${result.stderr.split('\n').slice(0, 5).join('\n')}\n`);
      return undefined;
    }
    const last = result.stderr.trim().split('\n').pop()!.split(' ');
    const m = { name, seconds: Number(last[0]), rssMiB: Number(last[1]) / 1024, size: statSync(output).size };
    if (!best || m.seconds < best.seconds) best = m;
  }
  return best;
}

function which(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

async function main(): Promise<void> {
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
    // The link command's own module (not the whole CLI, whose other commands load their tables at start-up).
    const compiled = join(ROOT, 'dist/cli/commands/link.js');
    const entry = existsSync(compiled) ? compiled : join(ROOT, 'src/cli/commands/link.ts');
    const loader = existsSync(compiled) ? [] : ['--import', 'tsx'];
    const ostool = [
      process.execPath,
      ...loader,
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(entry)}); m.runLink(process.argv.slice(1));`,
      '--',
    ];
    if (!existsSync(compiled))
      console.log('(dist/ not built: running ostool through tsx, which adds its start-up time)');
    const args = (out: string) => ['-T', script, '-o', out, ...objects];
    const results: Measurement[] = [];
    const run = (name: string, command: string[], out: string) => {
      const m = measure(name, command, out);
      if (m) results.push(m);
      else console.log(`${name}: failed`);
    };
    run('ostool link', [...ostool, ...args(join(dir, 'ostool.elf'))], join(dir, 'ostool.elf'));
    run('GNU ld (bfd)', ['ld.bfd', ...args(join(dir, 'bfd.elf'))], join(dir, 'bfd.elf'));
    if (which('ld.gold')) run('gold', ['ld.gold', ...args(join(dir, 'gold.elf'))], join(dir, 'gold.elf'));
    else console.log('gold: not installed');
    if (which('ld.lld')) run('ld.lld', ['ld.lld', ...args(join(dir, 'lld.elf'))], join(dir, 'lld.elf'));
    else console.log('ld.lld: not installed (apt-get install lld)');
    const ours = results.find((r) => r.name === 'ostool link');
    console.log('');
    console.log('| linker | time (s) | peak RSS (MiB) | output (KiB) | time vs ostool | RSS vs ostool |');
    console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const r of results) {
      const timeRatio = ours ? (r.seconds / ours.seconds).toFixed(2) : '-';
      const rssRatio = ours ? (r.rssMiB / ours.rssMiB).toFixed(2) : '-';
      console.log(
        `| ${r.name} | ${r.seconds.toFixed(2)} | ${r.rssMiB.toFixed(0)} | ${(r.size / 1024).toFixed(0)} | ${timeRatio}x | ${rssRatio}x |`,
      );
    }
    const bfd = results.find((r) => r.name === 'GNU ld (bfd)');
    const lld = results.find((r) => r.name === 'ld.lld');
    if (ours && bfd)
      console.log(
        `\nostool takes ${(ours.seconds / bfd.seconds).toFixed(2)}x GNU ld's time (target: below 1x)`,
      );
    if (ours && lld)
      console.log(
        `ostool takes ${(ours.seconds / lld.seconds).toFixed(2)}x ld.lld's time (target: within 2x)`,
      );
    // The same link in this process, without node's start-up and module loading (best of BENCH_RUNS).
    const { link } = await import('../src/linker/index.js');
    const inputs = objects.map((o) => ({ name: o, data: readFileSync(o) }));
    let best = Infinity;
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      link({ inputs, script: SCRIPT });
      best = Math.min(best, performance.now() - started);
    }
    console.log(`ostool link() in-process (inputs already in memory): ${(best / 1000).toFixed(3)} s`);
  } finally {
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
