// Offline view of the chart values a kubernetes class's Helm release gets, from a stack settings
// file, with no Pulumi CLI, no cluster and no credentials (the values hold no secret):
//   npx tsx platforms/kubernetes/renderValues.ts --config Pulumi.<class>.yaml
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ClassConfigError, parseClassConfig } from "../../lib/config/classConfig";
import { rawClassConfigFromStackFile } from "../../lib/config/stack";
import { chartValues } from "./values";
import { chartValuesSchema } from "./valuesSchema";

const { values: args } = parseArgs({ options: { config: { type: "string" } } });
if (!args.config) {
    console.error("usage: npx tsx platforms/kubernetes/renderValues.ts --config Pulumi.<class>.yaml");
    process.exit(2);
}
try {
    const cfg = parseClassConfig(rawClassConfigFromStackFile(readFileSync(args.config, "utf8")));
    if (cfg.platform !== "kubernetes") throw new ClassConfigError([{ key: "platform", message: "platform: expected kubernetes for chart values. Fix: pulumi config set platform kubernetes" }]);
    process.stdout.write(`${JSON.stringify(chartValuesSchema.parse(chartValues(cfg)), null, 2)}\n`);
} catch (err) {
    if (!(err instanceof ClassConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
}
