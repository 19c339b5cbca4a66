/** Reading what an operation did to the resources (runOperation.ts's steps). */
import type { ResourceStep } from "./runOperation";

/** The cloud's and the plugins' resources: neither the stack nor a component nor a provider. */
export const custom = (steps: readonly ResourceStep[]) =>
    steps.filter((s) => !s.type.startsWith("pulumi:") && !s.type.startsWith("jupyterhub-classroom:"));

/** Type → how many steps of it. */
export const countByType = (steps: readonly ResourceStep[]) =>
    Object.fromEntries([...new Set(steps.map((s) => s.type))].sort().map((t) => [t, steps.filter((s) => s.type === t).length]));

/** Resource name → what the engine does to it, for those it changes. */
export const changes = (report: { steps: readonly ResourceStep[] }) => {
    const ops: Record<string, string[]> = {};
    for (const s of custom(report.steps).filter((s) => s.op !== "same")) (ops[s.urn.split("::").pop() ?? ""] ??= []).push(s.op);
    return ops;
};
