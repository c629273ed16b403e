import { describe, expect, it } from 'vitest';
import { R_X86_64 } from '../../src/elf/constants.js';
import { applyRelocation, needsGotSlot, type RelocationTarget } from '../../src/linker/x86-64.js';

const PLACE = 0x401000n;

function apply(
  type: number,
  value: bigint,
  addend = 0n,
  extra: Partial<RelocationTarget> = {},
  before: number[] = [],
) {
  const bytes = new Uint8Array(before.length + 8);
  bytes.set(before);
  const view = new DataView(bytes.buffer);
  const problem = applyRelocation(
    type,
    { bytes, view, at: before.length, place: PLACE },
    { value, addend, size: 0n, got: 0n, undefinedWeak: false, ...extra },
  );
  return { problem, bytes, view, at: before.length };
}

const u32 = (r: ReturnType<typeof apply>) => r.view.getUint32(r.at, true);
const i32 = (r: ReturnType<typeof apply>) => r.view.getInt32(r.at, true);

describe('x86-64 relocations', () => {
  it('R_X86_64_64 and PC64 store S+A and S+A-P in 64 bits', () => {
    expect(apply(R_X86_64['64'], 0xffffffff80001000n, 8n).view.getBigUint64(0, true)).toBe(
      0xffffffff80001008n,
    );
    expect(apply(R_X86_64.PC64, 0x400000n, -4n).view.getBigInt64(0, true)).toBe(0x400000n - 4n - PLACE);
  });

  it('R_X86_64_32 accepts 0..0xffffffff and rejects the next value and negatives', () => {
    expect(u32(apply(R_X86_64['32'], 0xffffffffn))).toBe(0xffffffff);
    expect(apply(R_X86_64['32'], 0x100000000n).problem).toMatchObject({
      kind: 'overflow',
      bits: 32,
      signed: false,
    });
    expect(apply(R_X86_64['32'], 0xffffffff80000000n).problem).toMatchObject({ kind: 'overflow' });
  });

  it('R_X86_64_32S accepts sign-extended 32-bit values (the -mcmodel=kernel range) and rejects 0x80000000', () => {
    expect(u32(apply(R_X86_64['32S'], 0xffffffff80000000n))).toBe(0x80000000);
    expect(u32(apply(R_X86_64['32S'], 0x7fffffffn))).toBe(0x7fffffff);
    expect(apply(R_X86_64['32S'], 0x80000000n).problem).toMatchObject({ kind: 'overflow', signed: true });
    expect(apply(R_X86_64['32S'], 0xffffffff7fffffffn).problem).toMatchObject({ kind: 'overflow' });
  });

  it('PC32 and PLT32 store S+A-P and reject distances beyond ±2 GiB', () => {
    expect(i32(apply(R_X86_64.PC32, PLACE + 0x7fffffffn + 4n, -4n))).toBe(0x7fffffff);
    expect(i32(apply(R_X86_64.PLT32, PLACE - 0x80000000n + 4n, -4n))).toBe(-0x80000000);
    expect(apply(R_X86_64.PC32, PLACE + 0x80000000n + 4n, -4n).problem).toMatchObject({
      kind: 'overflow',
      signed: true,
    });
    expect(apply(R_X86_64.PLT32, 0xffffffff80000000n, -4n).problem).toMatchObject({ kind: 'overflow' });
  });

  it('R_X86_64_16 and 8 accept signed or unsigned fields (ld bitfield check); PC16 and PC8 are signed', () => {
    expect(apply(R_X86_64['16'], 0xffffn).view.getUint16(0, true)).toBe(0xffff);
    expect(apply(R_X86_64['16'], -0x8000n).view.getUint16(0, true)).toBe(0x8000);
    expect(apply(R_X86_64['16'], 0x10000n).problem).toMatchObject({ kind: 'overflow', bits: 16 });
    expect(apply(R_X86_64.PC16, PLACE + 0x7fffn).view.getInt16(0, true)).toBe(0x7fff);
    expect(apply(R_X86_64.PC16, PLACE + 0x8000n).problem).toMatchObject({
      kind: 'overflow',
      bits: 16,
      signed: true,
    });
    expect(apply(R_X86_64['8'], 0xffn).view.getUint8(0)).toBe(0xff);
    expect(apply(R_X86_64['8'], 0x100n).problem).toMatchObject({ kind: 'overflow', bits: 8 });
    expect(apply(R_X86_64.PC8, PLACE - 0x80n).view.getInt8(0)).toBe(-0x80);
    expect(apply(R_X86_64.PC8, PLACE + 0x80n).problem).toMatchObject({ kind: 'overflow', bits: 8 });
  });

  it('SIZE32 and SIZE64 store the symbol size plus addend', () => {
    expect(u32(apply(R_X86_64.SIZE32, 0x1234n, 4n, { size: 24n }))).toBe(28);
    expect(apply(R_X86_64.SIZE64, 0n, 0n, { size: 0x1_0000_0000n }).view.getBigUint64(0, true)).toBe(
      0x1_0000_0000n,
    );
  });

  it('GOTPC32 and GOTOFF64 are relative to the GOT', () => {
    expect(i32(apply(R_X86_64.GOTPC32, 0n, -4n, { got: PLACE + 0x100n }))).toBe(0xfc);
    expect(apply(R_X86_64.GOTOFF64, 0x500000n, 8n, { got: 0x400000n }).view.getBigUint64(0, true)).toBe(
      0x100008n,
    );
  });

  it('relaxes REX_GOTPCRELX `mov foo@GOTPCREL(%rip), %r9` to `mov $foo, %r9` (REX.R moves to REX.B)', () => {
    const r = apply(R_X86_64.REX_GOTPCRELX, 0x402000n, -4n, {}, [0x4c, 0x8b, 0x0d]);
    expect([...r.bytes.subarray(0, 7)]).toEqual([0x49, 0xc7, 0xc1, 0x00, 0x20, 0x40, 0x00]);
  });

  it('relaxes GOTPCRELX `call *foo@GOTPCREL(%rip)` to `addr32 call foo` and `jmp *` to `jmp foo; nop`', () => {
    const call = apply(R_X86_64.GOTPCRELX, PLACE + 0x104n, -4n, {}, [0xff, 0x15]);
    expect([...call.bytes.subarray(0, 6)]).toEqual([0x67, 0xe8, 0x00, 0x01, 0x00, 0x00]);
    const jmp = apply(R_X86_64.GOTPCRELX, PLACE + 0x104n, -4n, {}, [0xff, 0x25]);
    expect([...jmp.bytes.subarray(0, 6)]).toEqual([0xe9, 0x01, 0x01, 0x00, 0x00, 0x90]);
  });

  it('relaxes `test`/`add` with GOTPCRELX operands to immediate forms', () => {
    const test = apply(R_X86_64.REX_GOTPCRELX, 0x402000n, -4n, {}, [0x48, 0x85, 0x05]);
    expect([...test.bytes.subarray(0, 7)]).toEqual([0x48, 0xf7, 0xc0, 0x00, 0x20, 0x40, 0x00]);
    const add = apply(R_X86_64.REX_GOTPCRELX, 0x402000n, -4n, {}, [0x48, 0x03, 0x1d]);
    expect([...add.bytes.subarray(0, 7)]).toEqual([0x48, 0x81, 0xc3, 0x00, 0x20, 0x40, 0x00]);
  });

  it('relaxes plain GOTPCREL only for mov (to lea) and keeps a GOT slot otherwise', () => {
    const lea = apply(R_X86_64.GOTPCREL, PLACE + 0x1000n, -4n, {}, [0x48, 0x8b, 0x05]);
    expect([...lea.bytes.subarray(0, 3)]).toEqual([0x48, 0x8d, 0x05]);
    expect(lea.view.getInt32(3, true)).toBe(0x1000 - 4);
    expect(needsGotSlot(R_X86_64.GOTPCREL, new Uint8Array([0x48, 0x8b, 0x05, 0, 0, 0, 0]), 3)).toBe(false);
    expect(needsGotSlot(R_X86_64.GOTPCREL, new Uint8Array([0xff, 0x15, 0, 0, 0, 0]), 2)).toBe(true);
    expect(needsGotSlot(R_X86_64.GOTPCRELX, new Uint8Array([0xff, 0x15, 0, 0, 0, 0]), 2)).toBe(false);
    const viaGot = apply(R_X86_64.GOTPCREL, 0x999999n, -4n, { gotSlot: PLACE + 0x2000n }, [0xff, 0x15]);
    expect(viaGot.view.getInt32(2, true)).toBe(0x2000 - 4);
  });

  it('refuses a relaxation whose immediate cannot hold the address (32-bit mov of a higher-half symbol)', () => {
    expect(apply(R_X86_64.GOTPCRELX, 0xffffffff80000000n, -4n, {}, [0x8b, 0x0d]).problem).toEqual({
      kind: 'cannot-relax',
    });
  });

  it('reports TLS and other unsupported types instead of writing garbage', () => {
    expect(apply(R_X86_64.TPOFF32, 0n).problem).toEqual({ kind: 'unsupported' });
  });
});
