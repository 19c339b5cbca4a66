/**
 * Runs one operation of the real Pulumi CLI on a stack, in a process of its own so the program
 * (the class's index.ts) is evaluated afresh each time, as `pulumi preview` would evaluate it.
 *
 * The CLI reaches the program through @pulumi/pulumi's automation language server (the CLI's
 * --client), so no language host (pulumi-language-nodejs) is needed. That server runs the program with
 * the same runtime code the language host would start.
 *
 *   node --import tsx test/engine/runOperation.ts preview|up|destroy PROGRAM WORK_DIR STACK REPORT_JSON
 *
 * PROGRAM is the module that declares the resources (the stack's index.ts), its exports the stack's
 * outputs; WORK_DIR holds Pulumi.yaml and the stack's config file; REPORT_JSON receives what the engine
 * did to each resource. The CLI's own output
 * goes to stdout, as an instructor would see it.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { EngineEvent, LocalWorkspace, OpType } from "@pulumi/pulumi/automation";

export interface ResourceStep {
    readonly urn: string;
    readonly type: string;
    readonly op: OpType;
    /** Properties whose change made the engine replace the resource. */
    readonly replaceReasons: readonly string[];
    /** Properties that differ, as the provider reported them. */
    readonly diffs: readonly string[];
}

export interface OperationReport {
    readonly operation: string;
    readonly seconds: number;
    readonly steps: readonly ResourceStep[];
    readonly outputs: Record<string, unknown>;
    readonly error?: string;
}

const PROJECT = "jupyterhub-classroom";

async function main(): Promise<void> {
    const [operation, programPath, workDir, stackName, reportPath] = process.argv.slice(2);
    if (!["preview", "up", "destroy"].includes(operation) || !programPath || !workDir || !stackName || !reportPath) {
        throw new Error("usage: runOperation.ts preview|up|destroy PROGRAM WORK_DIR STACK REPORT_JSON");
    }
    // The program's exports are the stack's outputs: its named exports, or the one object a program
    // with `export =` (index.ts) exports, which import() gives as `default` only.
    const program = async () => {
        const module = await import(path.resolve(programPath));
        const named = Object.entries(module).filter(([name]) => name !== "default");
        return named.length ? Object.fromEntries(named) : { ...module.default };
    };
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName, projectName: PROJECT, program },
        { workDir },
    );

    const steps: ResourceStep[] = [];
    const onEvent = (event: EngineEvent): void => {
        const pre = event.resourcePreEvent;
        if (!pre) return;
        const meta = pre.metadata;
        steps.push({
            urn: meta.urn,
            type: meta.type,
            op: meta.op,
            replaceReasons: meta.keys ?? [],
            diffs: meta.diffs ?? [],
        });
    };
    const onOutput = (text: string): void => { process.stdout.write(text); };

    const started = Date.now();
    let outputs: Record<string, unknown> = {};
    let error: string | undefined;
    try {
        if (operation === "preview") {
            await stack.preview({ onEvent, onOutput, diff: true });
        } else if (operation === "up") {
            const result = await stack.up({ onEvent, onOutput });
            outputs = Object.fromEntries(Object.entries(result.outputs)
                .map(([key, value]) => [key, value.secret ? "[secret]" : value.value]));
        } else {
            await stack.destroy({ onEvent, onOutput });
        }
    } catch (err) {
        error = err instanceof Error ? err.message : String(err);
        // The CLI's stderr (its error lines) reaches us only inside the error.
        process.stdout.write(`\n${error}\n`);
    }
    const report: OperationReport = { operation, seconds: (Date.now() - started) / 1000, steps, outputs, error };
    writeFileSync(reportPath, JSON.stringify(report, null, 2));
    process.exitCode = error === undefined ? 0 : 1;
}

main().catch((err) => {
    console.error(err);
    process.exitCode = 2;
});
