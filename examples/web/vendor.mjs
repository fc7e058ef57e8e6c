// Copies the one runtime dependency (openapi-fetch, an ES module with no imports of its own)
// next to the compiled app, where the page's import map finds it. Run by `npm run build`;
// `node vendor.mjs DIR` writes it elsewhere (the drift test compares the two).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";

const outDir = process.argv[2] ?? "site/vendor";
const pkg = JSON.parse(readFileSync("node_modules/openapi-fetch/package.json", "utf8"));
const code = readFileSync("node_modules/openapi-fetch/dist/index.mjs", "utf8").replace(
  /\n\/\/# sourceMappingURL=.*\n?$/,
  "\n",
);
mkdirSync(outDir, { recursive: true });
writeFileSync(
  `${outDir}/openapi-fetch.mjs`,
  `// openapi-fetch ${pkg.version} (${pkg.license}), copied from node_modules by vendor.mjs.\n${code}`,
);
