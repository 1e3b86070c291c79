/** Type checking runs once in `npm run typecheck`; jest only transpiles. */
module.exports = {
  testEnvironment: "node",
  // The end-to-end files mostly wait on the emulator and terraform: two at once fit 2 cores.
  maxWorkers: 2,
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.js"],
};
