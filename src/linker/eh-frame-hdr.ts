/**
 * `--eh-frame-hdr`: the `.eh_frame_hdr` section bfd writes (version 1, a PC-relative pointer to `.eh_frame`, the
 * FDE count and a table of (initial location, FDE) pairs relative to the section, sorted by location) and the
 * PT_GNU_EH_FRAME segment that points unwinders at it. Without a readable `.eh_frame` there is no table, as in bfd.
 */
import type { InputSection, OutputSection } from './model.js';

const DW_EH_PE_omit = 0xff;
const DW_EH_PE_udata4 = 0x03;
const DW_EH_PE_pcrel_sdata4 = 0x1b;
const DW_EH_PE_datarel_sdata4 = 0x3b;

/** Gives the (already created) section its size: 8 bytes of header, then 4 + 8 per FDE when there is a table. */
export function sizeEhFrameHdr(section: InputSection, fdes: number, table: boolean): void {
  section.data = new Uint8Array(8 + (table ? 4 + fdes * 8 : 0));
  section.size = section.data.length;
}

/** Fills the header once `.eh_frame` is laid out and relocated (the FDEs' initial locations are in its bytes). */
export function finishEhFrameHdr(
  hdr: InputSection,
  ehFrame: OutputSection | undefined,
  contents: Map<OutputSection, Uint8Array>,
): void {
  const out = hdr.output ? contents.get(hdr.output) : undefined;
  if (!out || !hdr.output) return;
  const at = Number(hdr.outputOffset);
  const view = new DataView(out.buffer, out.byteOffset + at, hdr.size);
  const hdrAddress = hdr.output.address + hdr.outputOffset;
  const table = hdr.size > 8;
  view.setUint8(0, 1);
  view.setUint8(1, DW_EH_PE_pcrel_sdata4);
  view.setUint8(2, table ? DW_EH_PE_udata4 : DW_EH_PE_omit);
  view.setUint8(3, table ? DW_EH_PE_datarel_sdata4 : DW_EH_PE_omit);
  view.setInt32(4, Number((ehFrame?.address ?? hdrAddress) - (hdrAddress + 4n)), true);
  if (!table || !ehFrame) return;
  const bytes = contents.get(ehFrame);
  if (!bytes) return;
  const frames = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: Array<{ location: bigint; range: bigint; fde: bigint }> = [];
  for (const input of ehFrame.inputs)
    for (const link of input.cieLinks ?? []) {
      const offset = Number(input.outputOffset) + link.offset - 4;
      const fde = ehFrame.address + BigInt(offset);
      const location = readEncoded(frames, offset + 8, link.encoding, fde + 8n);
      const width = (link.encoding & 7) === 4 || (link.encoding & 7) === 0 ? 8 : 4;
      const range = readEncoded(frames, offset + 8 + width, link.encoding & 0x0f, 0n);
      entries.push({ location, range, fde });
    }
  // bfd's vma_compare: by initial location, then by range.
  entries.sort((a, b) =>
    a.location !== b.location
      ? a.location < b.location
        ? -1
        : 1
      : a.range < b.range
        ? -1
        : a.range > b.range
          ? 1
          : 0,
  );
  view.setUint32(8, entries.length, true);
  entries.forEach((e, i) => {
    view.setInt32(12 + i * 8, Number(BigInt.asIntN(32, e.location - hdrAddress)), true);
    view.setInt32(16 + i * 8, Number(BigInt.asIntN(32, e.fde - hdrAddress)), true);
  });
}

/** A DW_EH_PE-encoded address (absolute or PC-relative, 4 or 8 bytes) read from `.eh_frame`. */
function readEncoded(view: DataView, at: number, encoding: number, place: bigint): bigint {
  const format = encoding & 0x0f;
  let value: bigint;
  if (format === 0x04 || format === 0x0c || format === 0x00) value = view.getBigInt64(at, true);
  else if (format === 0x0b) value = BigInt(view.getInt32(at, true));
  else value = BigInt(view.getUint32(at, true));
  if ((encoding & 0x70) === 0x10) value += place;
  return BigInt.asUintN(64, value);
}
