/** Unit tests only: no terraform, no moto_server (`npm run test:unit`, and the mutation tests). */
const all = require("./jest.config");

module.exports = { ...all, testPathIgnorePatterns: ["/node_modules/", "\\.e2e\\.test\\.ts$"] };
