import { performance } from 'node:perf_hooks';
import { Option, type Command } from 'commander';
import { writeFileAtomic } from '../../atomic-write.js';
import { resolveProject } from '../project.js';
import { UserError } from '../../errors.js';
import { runImage } from '../../qemu/index.js';
import {
  judgeTestRun,
  junitXml,
  lastSerialLines,
  prettyEvent,
  prettySummary,
  tapEvent,
  tapSummary,
  testCmdline,
  TestProtocolParser,
  type ReporterName,
  type TestEvent,
} from '../../qemu/index.js';
import {
  addMachineOptions,
  applyGuestCodes,
  exitStatusOf,
  machineRunOptions,
  parseTimeout,
  resolveImage,
  watchSession,
  withStopSignals,
  type MachineCliOptions,
  type PreparedImage,
  type RunOutcome,
} from './run.js';

const DEFAULT_TEST_TIMEOUT_SECONDS = 60;
const DEFAULT_JUNIT_FILE = 'build/test-results.xml';

interface TestCliOptions extends MachineCliOptions {
  filter?: string;
  reporter: ReporterName;
  output?: string;
}

export function register(program: Command): Command {
  const command = program
    .command('test')
    .description(
      'boot the test kernel headless and report its in-kernel tests (protocol: src/qemu/TEST-PROTOCOL.md); exit status as for run',
    )
    .argument('[qemu-args...]', 'extra QEMU arguments, after --');
  addMachineOptions(command, { defaultTimeout: DEFAULT_TEST_TIMEOUT_SECONDS, defaultBoot: 'direct' });
  return command
    .option(
      '--filter <pattern>',
      'run only tests whose name contains PATTERN (passed on the kernel command line)',
    )
    .addOption(
      new Option('--reporter <name>', 'output format').choices(['pretty', 'tap', 'junit']).default('pretty'),
    )
    .option('--output <file>', `JUnit XML file for --reporter junit (default ${DEFAULT_JUNIT_FILE})`)
    .addHelpText('after', '\nExample:\n  ostool test --filter heap --reporter junit --output build/junit.xml')
    .action(async (qemuArgs: string[], options: TestCliOptions) => {
      if (options.filter !== undefined && options.image !== undefined) {
        throw new UserError(
          '--filter travels on the kernel command line, so it needs the default image; for --image, build the image ' +
            `with the kernel command line "${testCmdline(options.filter)}" instead`,
        );
      }
      if (options.output !== undefined && options.reporter !== 'junit')
        throw new UserError('--output is for --reporter junit');
      const cmdlineFor = (prepared?: PreparedImage) => {
        const words = testCmdline(options.filter);
        return prepared?.project?.test.cmdline ? `${words} ${prepared.project.test.cmdline}` : words;
      };
      const testOnce = async (prepared: PreparedImage, signal?: AbortSignal): Promise<number> => {
        const machine = prepared.project?.test;
        const timeoutSeconds = parseTimeout(
          options.timeout,
          machine?.timeout ?? DEFAULT_TEST_TIMEOUT_SECONDS,
        );
        const what = prepared.image ?? `${prepared.kernelElf} (direct boot)`;
        const started = performance.now();
        const parser = new TestProtocolParser();
        const live = options.reporter === 'tap' ? tapEvent : prettyEvent;
        const out = options.reporter === 'tap' ? process.stdout : process.stderr;
        const show = (events: TestEvent[]) => {
          for (const event of events) out.write(live(event));
        };
        if (options.reporter === 'tap') out.write('TAP version 14\n');
        else out.write(`ostool: testing ${what}\n`);

        const boot = (stop: AbortSignal) =>
          runImage({
            ...machineRunOptions(options, qemuArgs, prepared, machine),
            timeoutSeconds,
            headless: true,
            echoSerial: false,
            onSerial: (text) => show(parser.push(text, performance.now() - started)),
            signal: stop,
          }).then((result) => applyGuestCodes(result, prepared.project));
        const run: RunOutcome = signal ? await boot(signal) : await withStopSignals(boot);
        const { events, report } = parser.finish(performance.now() - started);
        show(events);
        const verdict = judgeTestRun(run, report);
        const outcome = {
          report,
          status: verdict.status,
          problems: verdict.problems,
          durationMs: run.durationMs,
          serial: run.serial,
        };

        if (options.reporter === 'tap') out.write(tapSummary(outcome));
        else out.write(prettySummary(outcome));
        if (options.reporter === 'junit')
          writeFileAtomic(options.output ?? DEFAULT_JUNIT_FILE, junitXml(outcome), { makeDirectory: true });
        if (verdict.status >= 2 || run.interrupted) {
          const tail = lastSerialLines(run.serial);
          process.stderr.write(
            tail.length === 0
              ? 'ostool: (no serial output)\n'
              : `ostool: last serial lines:\n${tail.map((l) => `  | ${l}`).join('\n')}\n`,
          );
        }
        if (options.verbose && run.command.length > 0)
          process.stderr.write(`ostool: qemu command: ${run.command.join(' ')}\n`);
        const status = exitStatusOf(run, verdict.status);
        const word = run.interrupted ? run.reason : verdict.status === 0 ? 'pass' : 'fail';
        process.stderr.write(`ostool: ${word} (exit ${status}, ${run.accel})\n`);
        return status;
      };
      if (options.watch) {
        if (options.image)
          throw new UserError('--watch rebuilds the project: it cannot be used with --image');
        const project = resolveProject(options);
        await watchSession(
          options,
          'test',
          cmdlineFor({ boot: 'direct', project, inputs: [], written: false }),
          async (prepared, signal) => {
            await testOnce(prepared, signal);
          },
        );
        return;
      }
      let prepared: PreparedImage;
      if (options.image !== undefined) prepared = await resolveImage(options, 'test', undefined);
      else {
        const project = resolveProject(options);
        prepared = await resolveImage(
          options,
          'test',
          cmdlineFor({ boot: 'direct', project, inputs: [], written: false }),
          project,
        );
      }
      process.exitCode = await testOnce(prepared);
    });
}
