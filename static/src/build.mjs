// Build the front end into static/build: compiled CSS, the design systems' JS, htmx and assets.
// Run by `make run` / `make test` (through `npm run build`); the output is not committed.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const out = join(root, "static", "build");
const nm = (p) => join(root, "node_modules", p);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "js"), { recursive: true });

const css = sass.compile(join(root, "static", "src", "app.scss"), {
  loadPaths: [root],
  style: "compressed",
  quietDeps: true,
  // MoJ Frontend still calls GOV.UK mixins that GOV.UK Frontend 6 deprecates: not ours to fix.
  logger: {
    warn(message, { span, stack }) {
      const where = `${span?.url?.pathname ?? ""} ${stack ?? ""}`;
      if (!where.includes("node_modules/")) console.warn(message);
    },
  },
});
writeFileSync(join(out, "app.css"), css.css);

// with their source maps: the manifest storage in production follows sourceMappingURL comments
for (const file of ["govuk-frontend.min.js", "govuk-frontend.min.js.map"]) {
  cpSync(nm(`govuk-frontend/dist/govuk/${file}`), join(out, "js", file));
}
for (const file of ["moj-frontend.min.js", "moj-frontend.min.js.map"]) {
  cpSync(nm(`@ministryofjustice/frontend/moj/${file}`), join(out, "js", file));
}
cpSync(nm("htmx.org/dist/htmx.min.js"), join(out, "js", "htmx.min.js"));
cpSync(nm("govuk-frontend/dist/govuk/assets"), join(out, "assets"), { recursive: true });
cpSync(nm("@ministryofjustice/frontend/moj/assets"), join(out, "assets"), { recursive: true });
console.log(`Built ${out} (${Math.round(css.css.length / 1024)} KB of CSS).`);
