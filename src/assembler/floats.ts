/**
 * Floating-point constants in data directives: `dw` half, `dd` single, `dq` double, `dt` x87 extended,
 * `do` quad precision. Values are parsed to a double first, so `dt`/`do` constants carry a double's precision
 * (nasm converts decimal text exactly; the two agree for every value a double represents exactly).
 */

import { LineError } from './diagnostics.js';

function parseHexFloat(text: string): number {
  const m = /^0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?[0-9]+))?$/i.exec(text);
  if (!m) return NaN;
  const intPart = m[1] ?? '';
  const fracPart = m[2] ?? '';
  let value = 0;
  for (const c of intPart) value = value * 16 + parseInt(c, 16);
  let scale = 1 / 16;
  for (const c of fracPart) {
    value += parseInt(c, 16) * scale;
    scale /= 16;
  }
  return value * Math.pow(2, Number(m[3] ?? '0'));
}

export function parseFloatText(text: string): number {
  if (text === 'Infinity') return Infinity;
  if (text === 'NaN') return NaN;
  const clean = text.replace(/_/g, '');
  if (/^0x/i.test(clean)) return parseHexFloat(clean);
  if (!/^[0-9]*\.?[0-9]*(e[+-]?[0-9]+)?$/i.test(clean)) return NaN;
  return Number(clean.endsWith('.') ? clean + '0' : clean);
}

function toHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  let mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export function encodeFloat(text: string, negative: boolean, unit: number, col: number): Uint8Array {
  let value = parseFloatText(text);
  if (Number.isNaN(value) && text !== 'NaN')
    throw new LineError(`invalid floating-point constant \`${text}'`, col);
  if (negative) value = -value;
  const out = new Uint8Array(unit);
  const view = new DataView(out.buffer);
  switch (unit) {
    case 1:
      throw new LineError(
        "floating-point constants are not allowed in `db' (8-bit floats are not supported)",
        col,
      );
    case 2:
      view.setUint16(0, toHalf(value), true);
      return out;
    case 4:
      view.setFloat32(0, value, true);
      return out;
    case 8:
      view.setFloat64(0, value, true);
      return out;
    case 10:
    case 16: {
      const d = new DataView(new ArrayBuffer(8));
      d.setFloat64(0, value);
      const hi = d.getUint32(0);
      const lo = d.getUint32(4);
      const sign = hi >>> 31;
      const exp = (hi >>> 20) & 0x7ff;
      const mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
      if (unit === 10) {
        let e80: number;
        let m80: bigint;
        if (exp === 0 && mantissa === 0n) {
          e80 = 0;
          m80 = 0n;
        } else if (exp === 0x7ff) {
          e80 = 0x7fff;
          m80 = (1n << 63n) | (mantissa << 11n) | (mantissa ? 1n << 62n : 0n);
        } else if (exp === 0) {
          // subnormal double: normalise
          let m = mantissa;
          let e = -1022;
          while ((m & (1n << 52n)) === 0n) {
            m <<= 1n;
            e--;
          }
          e80 = e + 16383;
          m80 = m << 11n;
        } else {
          e80 = exp - 1023 + 16383;
          m80 = (1n << 63n) | (mantissa << 11n);
        }
        view.setBigUint64(0, m80, true);
        view.setUint16(8, (sign << 15) | e80, true);
        return out;
      }
      let e128: number;
      let m128: bigint;
      if (exp === 0 && mantissa === 0n) {
        e128 = 0;
        m128 = 0n;
      } else if (exp === 0x7ff) {
        e128 = 0x7fff;
        m128 = mantissa << 60n;
      } else {
        e128 = exp - 1023 + 16383;
        m128 = mantissa << 60n;
      }
      view.setBigUint64(0, m128 & 0xffffffffffffffffn, true);
      view.setBigUint64(8, (BigInt(sign) << 63n) | (BigInt(e128) << 48n) | (m128 >> 64n), true);
      return out;
    }
    default:
      throw new LineError(`floating-point constants are not supported in ${unit}-byte data`, col);
  }
}
