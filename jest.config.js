/**
 * All tests: unit tests (`*.test.ts`) and end-to-end tests (`*.e2e.test.ts`, which need
 * terraform and moto_server). Type checking runs once in `npm run typecheck`; jest only transpiles.
 */
module.exports = {
  testEnvironment: "node",
  // The end-to-end files mostly wait on the provider (~25 s after each queue it creates, by
  // design): three at once on 2 cores overlap those waits.
  maxWorkers: 3,
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.js"],
};
