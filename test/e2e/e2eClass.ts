import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { ClassServer } from "../../localServer/classServer";
import { notebook } from "../../localServer/git-server";
import { TestUser } from "../../localServer/oidc-provider";

/** The e2e test's class: its stack file, its test users and its course, on the shared local server. */

/** The stack's name, as `pulumi destroy` passes it to the archive (archives/<stack>-<time>.tar.gz). */
export const STACK = "e2e";

/** Test users of the OIDC provider; the hub knows them by their e-mail's local part. */
export const USERS = {
    alice: user("alice", "Alice Student"),
    bob: user("bob", "Bob Student"),
    carol: user("carol", "Carol Latecomer"),
    mallory: user("mallory", "Mallory Notenrolled"),
    prof: user("prof", "Prof Hopper"),
    // The roster's own local parts at another e-mail domain: other people, who must not get in.
    aliceElsewhere: user("alice-elsewhere", "Alice Elsewhere", "alice@elsewhere.test"),
    profElsewhere: user("prof-elsewhere", "Prof Elsewhere", "prof@elsewhere.test"),
    tess: user("tess", "Tess Assistant"),
} as const;

export function user(login: string, name: string, email = `${login}@e2e-classroom.test`): TestUser {
    return { login, name, email, password: randomBytes(9).toString("base64url") };
}

/**
 * The e2e class server. `change` edits the test stack's config before the first render (the
 * bench's larger roster); `extraUsers` are more accounts of the OIDC provider.
 */
export function e2eClassServer(change: (config: Record<string, unknown>) => void = () => undefined, extraUsers: readonly TestUser[] = []): ClassServer {
    return new ClassServer({
        stack: STACK,
        stackFile: join(__dirname, "Pulumi.e2e.yaml"),
        change,
        users: [...Object.values(USERS), ...extraUsers],
        courseFiles: {
            "README.md": "# ENGR 101\n\nLabs for the term.\n",
            "lab1.ipynb": notebook("print('lab 1: hello')"),
        },
        resultsDir: join(__dirname, "results", new Date().toISOString().replace(/[:.]/g, "-")),
        extraHostTools: ["/usr/bin/chromium", "testssl"],
    });
}
