// Two projects: fast unit tests (outside systems faked at one module's boundary) and end-to-end tests that
// drive real nx runs against the local stack (tools/local-stack). `npm test` runs both.
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/packages/**/src/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform,
      globalSetup: '<rootDir>/packages/nx-plugin/e2e/global-setup.ts',
      testMatch: ['<rootDir>/packages/**/e2e/**/*.e2e.ts'],
    },
  ],
};
