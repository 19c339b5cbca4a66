// Rewrites the `config:` block of Pulumi.yaml from lib/configKeys.ts (test/pulumiProject.test.ts
// fails until it is run after a key changes): npm run project-config
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { projectConfigBlock } from "../lib/projectConfig";

const file = join(__dirname, "..", "Pulumi.yaml");
const document = parseDocument(readFileSync(file, "utf8"));
document.set("config", projectConfigBlock());
writeFileSync(file, document.toString({ lineWidth: 0 }));
