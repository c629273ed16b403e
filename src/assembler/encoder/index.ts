/**
 * The x86 instruction encoder: one request in, bytes and fixups out. Knows every opcode, prefix and
 * ModRM/SIB rule, and nothing about files, sections or passes (see `types.ts` for the contract).
 */
export { encodeInstruction, isMnemonic, isPrefix } from './encode.js';
export { lookupRegister, registerNames, type RegisterInfo, type RegisterClass } from './registers.js';
export type * from './types.js';
