/** The shared ELF reader, checked against readelf's view of the same files. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { R_X86_64 } from '../../src/elf/constants.js';
import { readElf, RelaTable } from '../../src/elf/reader.js';
import { buildSymbolTable, StringTable, SymbolTableBuilder } from '../../src/elf/writer.js';
import { UserError } from '../../src/errors.js';
import { Workdir } from '../linker/oracle.js';

const readelf = (args: string[], path: string) =>
  execFileSync('readelf', ['-W', ...args, path], { encoding: 'utf8' });

describe('ELF reader', () => {
  let work: Workdir;
  let object: string;
  beforeAll(() => {
    work = new Workdir();
    object = work.gcc(
      'sample',
      'static int hidden_counter; int visible = 3; const char *greet(void) { hidden_counter++; return "hi"; } int main_like(void) { return visible + (greet()[0]); }',
      ['-O2', '-fno-pic', '-mcmodel=kernel', '-ffunction-sections', '-fno-asynchronous-unwind-tables'],
    );
  });
  afterAll(() => work.dispose());

  it('reads section names, types, sizes and flags as readelf shows them', () => {
    const elf = readElf(object, readFileSync(object));
    const lines = readelf(['-S'], object)
      .split('\n')
      .map((l) => /^\s*\[\s*(\d+)\]\s+(\S+)\s+(\S+)\s+\S+\s+\S+\s+([0-9a-f]+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null && m[1] !== '0');
    expect(lines.length).toBe(elf.sections.length - 1);
    for (const m of lines) {
      const section = elf.sections[Number(m[1])]!;
      expect(section.name.startsWith(m[2]!.replace('[...]', ''))).toBe(true);
      expect(section.size).toBe(Number.parseInt(m[4]!, 16));
    }
  });

  it('reads symbols (name, binding, section) and RELA relocations like readelf', () => {
    const elf = readElf(object, readFileSync(object));
    const visible = elf.symbols.find((s) => s.name === 'visible')!;
    expect(visible.bind).toBe(1);
    expect(elf.sections[visible.shndx]!.name).toBe('.data');
    const text = elf.sections.find((s) => s.name === '.text.greet')!;
    const relocations = elf.relocations.get(text.index)!;
    const expected = readelf(['-r'], object)
      .split('.rela.text.greet')[1]!
      .split('Relocation section')[0]!
      .match(/R_X86_64_\w+/g)!;
    expect(
      relocations
        .map((r) => Object.entries(R_X86_64).find(([, v]) => v === r.type)![0])
        .map((n) => `R_X86_64_${n}`),
    ).toEqual(expected);
  });

  it('reads relocations in place with the addends readelf shows, large and negative ones included', () => {
    const source = work.nasm(
      'addends',
      [
        'bits 64',
        'extern target',
        'section .data',
        'dq target + 0x123456789abc',
        'dq target - 0x7000000000000000',
        'dq target - 4',
        'dd target + 300',
      ].join('\n'),
    );
    const elf = readElf(source, readFileSync(source));
    const data = elf.sections.find((s) => s.name === '.data')!;
    const table = elf.relocationTables.get(data.index)!;
    const expected = readelf(['-r'], source)
      .split('\n')
      .map((l) => /^([0-9a-f]{16})\s+\S+\s+(R_X86_64_\w+)\s+\S+\s+target\s+([+-])\s+([0-9a-f]+)/.exec(l))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({
        offset: Number.parseInt(m[1]!, 16),
        type: m[2],
        addend: (m[3] === '-' ? -1n : 1n) * BigInt(`0x${m[4]}`),
      }));
    expect(expected.length).toBe(4);
    expect(table.length).toBe(4);
    expected.forEach((e, i) => {
      expect(table.offset(i)).toBe(e.offset);
      expect(`R_X86_64_${Object.entries(R_X86_64).find(([, v]) => v === table.type(i))![0]}`).toBe(e.type);
      expect(table.addend(i)).toBe(e.addend);
      // A double holds all but the -0x7000000000000000 addend exactly; that one must say so (NaN).
      const exact = e.addend >= -(2n ** 53n) && e.addend <= 2n ** 53n;
      if (exact) expect(table.addendNumber(i)).toBe(Number(e.addend));
      else expect(table.addendNumber(i)).toBeNaN();
    });
    // The object view (decoded on first use) and a table re-encoded from it say the same.
    const objects = elf.relocations.get(data.index)!;
    expect(objects).toEqual(table.toArray());
    expect(RelaTable.fromList(objects).toArray()).toEqual(objects);
    // Which types occur, as the reader found them and as a re-encoded table recomputes them.
    expect(table.typeMask).toBe((1 << R_X86_64['64']) | (1 << R_X86_64['32']));
    expect(RelaTable.fromList(objects).typeMask).toBe(table.typeMask);
  });

  it('reads program headers of an executable', () => {
    const exe = work.ld(
      [work.nasm('exe', 'section .text\nglobal _start\n_start: ret\nsection .data\ndq 1\n')],
      [],
      'exe.elf',
    );
    const elf = readElf(exe, readFileSync(exe));
    const loads = readelf(['-l'], exe)
      .split('\n')
      .filter((l) => /^\s+LOAD/.test(l))
      .map((l) => l.trim().split(/\s+/)[2]);
    expect(
      elf.segments.filter((p) => p.type === 1).map((p) => `0x${p.vaddr.toString(16).padStart(16, '0')}`),
    ).toEqual(loads);
  });

  it('rejects truncated files, bad magic and out-of-range offsets with a UserError naming the file', () => {
    const data = readFileSync(object);
    expect(() => readElf('short.o', data.subarray(0, 40))).toThrow(UserError);
    expect(() => readElf('magic.o', new Uint8Array(64))).toThrow(
      'magic.o: corrupt ELF file: not an ELF file',
    );
    const broken = new Uint8Array(data);
    new DataView(broken.buffer).setBigUint64(40, 0xffffffn, true); // e_shoff far past the end
    expect(() => readElf('shoff.o', broken)).toThrow(/shoff\.o: corrupt ELF file: section header/);
  });
});

describe('ELF writer helpers', () => {
  it('tail-merges string tables like bfd (".text" reuses the end of ".rela.text")', () => {
    const table = new StringTable();
    for (const s of ['.rela.text', '.text', 'text', '.data']) table.add(s);
    const bytes = table.finish();
    expect(Buffer.from(bytes).toString('latin1')).toBe('\0.rela.text\0.data\0');
    expect(table.offsetOf('.text')).toBe(table.offsetOf('.rela.text') + 5);
    expect(table.offsetOf('text')).toBe(table.offsetOf('.rela.text') + 6);
  });

  it('tail-merges symbol names like bfd: a name that ends another is stored once, inside the longer one', () => {
    const names = ['bar', 'foo', 'xbar', 'foobar', 'bar', 'ar', '', 'r'];
    const { symtab, strtab } = buildSymbolTable(
      names.map((name) => ({ name, value: 0n, size: 0n, bind: 0, type: 0, visibility: 0, shndx: 1 })),
    );
    const text = Buffer.from(strtab).toString('latin1');
    // Only the names no other name ends with are stored (in first-use order); the rest point into them.
    expect(text).toBe('\0foo\0xbar\0foobar\0');
    const view = new DataView(symtab.buffer);
    names.forEach((name, i) => {
      const offset = view.getUint32((i + 1) * 24, true);
      expect(text.slice(offset, text.indexOf('\0', offset))).toBe(name);
    });
  });

  it('builds .symtab in place: values as 32-bit halves, a reserved slot filled in later, entries read back', () => {
    const builder = new SymbolTableBuilder(1); // grows past its first guess
    const slot = builder.addSplit('', 0, 4, 0, 0xfff1, 0, 0, 0n);
    builder.addSplit('kmain', 0, 2, 0, 1, 0x80001234, 0xffffffff, 16n);
    builder.add({ name: 'limit', value: -1n, size: 0n, bind: 1, type: 0, visibility: 0, shndx: 0xfff1 });
    builder.set(slot, {
      name: 'boot.o',
      value: 0n,
      size: 0n,
      bind: 0,
      type: 4,
      visibility: 0,
      shndx: 0xfff1,
    });
    const entries = builder.entries();
    expect(entries.map((e) => [e.name, e.value, e.size])).toEqual([
      ['boot.o', 0n, 0n],
      ['kmain', 0xffffffff80001234n, 16n],
      ['limit', 0xffffffffffffffffn, 0n],
    ]);
    const { symtab, strtab, firstGlobal } = builder.finish();
    expect(firstGlobal).toBe(3);
    expect(symtab.length).toBe(4 * 24);
    const view = new DataView(symtab.buffer, symtab.byteOffset);
    const text = Buffer.from(strtab).toString('latin1');
    expect(text.slice(view.getUint32(24, true)).split('\0')[0]).toBe('boot.o');
    expect(view.getBigUint64(48 + 8, true)).toBe(0xffffffff80001234n);
  });

  it('serializes symbols with locals first and sh_info at the first global', () => {
    const { symtab, firstGlobal } = buildSymbolTable([
      { name: 'local', value: 1n, size: 0n, bind: 0, type: 0, visibility: 0, shndx: 1 },
      { name: 'global', value: 0xffffffff80000000n, size: 8n, bind: 1, type: 2, visibility: 0, shndx: 1 },
    ]);
    expect(firstGlobal).toBe(2);
    const view = new DataView(symtab.buffer);
    expect(view.getBigUint64(48 + 8, true)).toBe(0xffffffff80000000n);
    expect(symtab[48 + 4]).toBe((1 << 4) | 2);
  });
});
