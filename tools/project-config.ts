// Rewrites what lib/config generates: the `config:` block of Pulumi.yaml and the JSON Schemas of
// class.json and secrets.json under cloud-init/schema/ (test/pulumiProject.test.ts and
// test/contract.test.ts fail until it is run after a key or a rule changes): npm run project-config
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { schemaFiles } from "../lib/config/jsonSchema";
import { projectConfigBlock } from "../lib/config/pulumiYaml";

const project = join(__dirname, "..");
const file = join(project, "Pulumi.yaml");
const document = parseDocument(readFileSync(file, "utf8"));
document.set("config", projectConfigBlock());
writeFileSync(file, document.toString({ lineWidth: 0 }));

const schemas = join(project, "cloud-init", "schema");
mkdirSync(schemas, { recursive: true });
for (const [name, content] of Object.entries(schemaFiles())) writeFileSync(join(schemas, name), content);
