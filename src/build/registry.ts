/**
 * The kernel's test registry as the host sees it: the records `TEST`, `TEST_SHOULD_PANIC` and
 * `TEST_EXPECT_EXCEPTION` place in `.kernel_tests` (src/kernel/include/ktest.inc), read from the ELF.
 */
import { UserError } from '../errors.js';
import { cString, fileOffsetOf, readSections } from './elf-sections.js';

export const KERNEL_TESTS_SECTION = '.kernel_tests';
/** struc test_record: name, function, expect, vector, check (5 × u64). */
const RECORD_SIZE = 40;
const EXPECTATIONS = ['pass', 'panic', 'exception'] as const;

export interface KernelTest {
  name: string;
  expect: (typeof EXPECTATIONS)[number];
  /** The exception vector an `exception` test must raise. */
  vector?: number;
}

export function listKernelTests(elf: Uint8Array): KernelTest[] {
  const sections = readSections(elf);
  const registry = sections.find((section) => section.name === KERNEL_TESTS_SECTION);
  if (!registry) return [];
  if (registry.size % RECORD_SIZE !== 0)
    throw new UserError(
      `kernel: ${KERNEL_TESTS_SECTION} is ${registry.size} bytes, not a whole number of ${RECORD_SIZE}-byte test records`,
    );
  const view = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  const tests: KernelTest[] = [];
  for (let at = registry.offset; at < registry.offset + registry.size; at += RECORD_SIZE) {
    const nameAddress = view.getBigUint64(at, true);
    const nameOffset = fileOffsetOf(sections, nameAddress);
    if (nameOffset === undefined)
      throw new UserError(
        `kernel: test record at ${KERNEL_TESTS_SECTION}+0x${(at - registry.offset).toString(16)} has a name outside the image`,
      );
    const expect = EXPECTATIONS[Number(view.getBigUint64(at + 16, true))];
    if (!expect)
      throw new UserError(
        `kernel: test record at ${KERNEL_TESTS_SECTION}+0x${(at - registry.offset).toString(16)} has an unknown expected outcome`,
      );
    const test: KernelTest = { name: cString(elf, nameOffset), expect };
    if (expect === 'exception') test.vector = Number(view.getBigUint64(at + 24, true));
    tests.push(test);
  }
  return tests;
}
