import { CONFIG_KEYS, ConfigKey } from "./keys";

/** One key of Pulumi.yaml's `config:` block, as the Pulumi CLI reads it. */
export interface ProjectConfigType {
    type: "string" | "integer" | "boolean" | "array";
    items?: { type: "string" | "object" };
    description: string;
    secret?: true;
    default?: unknown;
}

/**
 * Optional keys the CLI cannot be told about: it requires a declared key that has no default,
 * refuses a default for a `secret: true` key because a default is never encrypted, and refuses a
 * default of another type than the key's ("" for a boolean). retainVolume has no default of its
 * own so that the deprecated protectVolume still counts while it is unset; perStudentOrigins's
 * depends on the platform and dnsProxied.
 */
export const UNDECLARED_OPTIONAL_KEYS = ["sshPrivateKey", "courseRepoToken", "retainVolume", "protectVolume", "perStudentOrigins"] as const;

const PULUMI_TYPES: Record<ConfigKey["type"], Pick<ProjectConfigType, "type" | "items">> = {
    string: { type: "string" },
    number: { type: "string" },
    integer: { type: "integer" },
    boolean: { type: "boolean" },
    list: { type: "array", items: { type: "string" } },
    objectList: { type: "array", items: { type: "object" } },
};

/**
 * Pulumi.yaml's `config:` block, derived from lib/config/keys.ts so the two cannot drift. Keys
 * without a default of their own default to "" (an empty value means unset), so the CLI requires
 * only the keys every class must set; the program's own validation reports everything else.
 */
export function projectConfigBlock(): Record<string, ProjectConfigType> {
    const block: Record<string, ProjectConfigType> = {};
    for (const [key, spec] of Object.entries(CONFIG_KEYS) as [string, ConfigKey][]) {
        if ((UNDECLARED_OPTIONAL_KEYS as readonly string[]).includes(key)) continue;
        const declared: ProjectConfigType = { ...structuredClone(PULUMI_TYPES[spec.type]), description: spec.description };
        if (spec.secret) declared.secret = true;
        const unset = spec.schema.safeParse(undefined);
        // Pulumi has no float: a number is declared a string, so its default must be one too.
        if (unset.success) declared.default = spec.type === "number" ? String(unset.data ?? "") : unset.data ?? "";
        // An optional integer's unset default "" is no integer: it is declared a string, as numbers are.
        if (spec.type === "integer" && unset.success && unset.data === undefined) declared.type = "string";
        block[key] = declared;
    }
    return block;
}
