/**
 * The executor options layer: what the chain's targets set in their options (the command line, project.json
 * or nx.json targetDefaults). Every step of a run reads all of them, so each sees the same settings: mcr-check,
 * which checks the Teams webhook before anything is built, knows that teams-notify's target sets
 * `failOnError`. Read with the same readers as the config files, so a value out of range gets the same
 * message and fix.
 */
import { BUILDERS, type Builder } from '../types/builders';
import type { StepName } from '../types/workspace';
import { MAX_TEST_TIMEOUT_SECONDS } from './test-app';
import { Fields, isObject } from './validate';

/** Each step and the options its executor takes. */
export const STEP_OPTIONS = {
  'mcr-check': ['force', 'timeoutSeconds', 'reportFindings'],
  'docker-build': ['builder'],
  'integration-test': ['timeoutSeconds'],
  'ecr-publish': [],
  'teams-notify': ['failOnError', 'timeoutSeconds'],
} as const satisfies Record<StepName, readonly string[]>;

/** The options of each of an image's targets, by step; a step without options is left out. */
export type TargetOptions = Partial<Record<StepName, unknown>>;

/** What the targets' options change in an image's settings; a field is present only when an option set it. */
export interface OptionsLayer {
  force?: boolean;
  checkTimeoutMs?: number;
  reportFindings?: boolean;
  builder?: Builder;
  testTimeoutSeconds?: number;
  teamsFailOnError?: boolean;
  teamsTimeoutMs?: number;
}

export function optionsFile(step: StepName): string {
  return `${step} options (--option, project.json or nx.json targetDefaults)`;
}

function fieldsOf(step: StepName, options: unknown): Fields {
  return new Fields(optionsFile(step), '', isObject(options) ? options : {});
}

const seconds = (value: number | undefined) => (value === undefined ? undefined : value * 1000);

/** Validates every target's options and says what they change; undefined fields leave the layers below as they are. */
export function readTargetOptions(targets: TargetOptions): OptionsLayer {
  const check = fieldsOf('mcr-check', targets['mcr-check']);
  const build = fieldsOf('docker-build', targets['docker-build']);
  const test = fieldsOf('integration-test', targets['integration-test']);
  const notify = fieldsOf('teams-notify', targets['teams-notify']);
  const layer: OptionsLayer = {
    force: check.boolean('force'),
    checkTimeoutMs: seconds(check.number('timeoutSeconds', { min: 1, max: 600 })),
    reportFindings: check.boolean('reportFindings'),
    builder: build.oneOf('builder', BUILDERS),
    testTimeoutSeconds: test.number('timeoutSeconds', { min: 1, max: MAX_TEST_TIMEOUT_SECONDS }),
    teamsFailOnError: notify.boolean('failOnError'),
    teamsTimeoutMs: seconds(notify.number('timeoutSeconds', { min: 1, max: 300 })),
  };
  return Object.fromEntries(Object.entries(layer).filter(([, value]) => value !== undefined));
}
