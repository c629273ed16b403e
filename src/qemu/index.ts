/**
 * The QEMU runner and test harness: boot an image, stream its serial output, and turn how the guest ended
 * into the exit status shared by `ostool run` and `ostool test` (see exit-status.ts).
 */
export { chooseMachineAccel, machineKvmBoots, runImage, type RunOptions, type RunResult } from './runner.js';
export {
  classifyQemuEnding,
  GUEST_FAILURE_CODE,
  GUEST_SUCCESS_CODE,
  STATUS_FAIL,
  STATUS_NOT_STARTED,
  STATUS_PASS,
  STATUS_RESET,
  STATUS_TIMEOUT,
  type RunStatus,
} from './exit-status.js';
export {
  findOvmf,
  ovmfCandidatePairs,
  type FindOvmfOptions,
  type OvmfFiles,
  type OvmfLookup,
} from './ovmf.js';
export { buildQemuArgs, type DirectBoot, type FwCfgFile, type QemuPlan } from './qemu-args.js';
export { findExecutable, qemuBuildIdentity, qemuCommand, qemuVersion } from './qemu-binary.js';
export {
  chooseAccel,
  decideAccel,
  describeKvmBoots,
  kvmBoots,
  kvmDeviceUsable,
  kvmProbeCacheFile,
  readProbeRecord,
  writeProbeRecord,
  type Accel,
  type AccelRequest,
} from './accel.js';
export {
  buildBootDisk,
  buildBootSector,
  MIN_BOOTABLE_DISK_BYTES,
  type BootSectorEnding,
} from './boot-sector.js';
export {
  countOutcomes,
  judgeTestRun,
  parseTestReport,
  testCmdline,
  TestProtocolParser,
  type TestCase,
  type TestEvent,
  type TestOutcome,
  type TestReport,
} from './test-protocol.js';
export { lastSerialLines, stripTerminalControls } from './serial-tail.js';
export {
  junitXml,
  prettyEvent,
  prettySummary,
  tapEvent,
  tapSummary,
  xmlEscape,
  type ReporterName,
  type TestRunOutcome,
} from './reporters.js';
