import { Browser, chromium, Page } from "playwright-core";
import { TestUser } from "../../localServer/oidc-provider";

/**
 * Chromium from the system (never a downloaded one), with a fresh profile, sent to the guest for
 * the class hostname and every name below it (the students' own origins). It trusts exactly the certificate the guest got from pebble (by its public
 * key), not every certificate: step 2 checks the chain to pebble's root separately.
 */
export function launchBrowser(hostname: string, guestAddress: string, trustedSpkiSha256: string): Promise<Browser> {
    return chromium.launch({
        executablePath: "/usr/bin/chromium",
        headless: true,
        args: [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run",
            `--host-resolver-rules=MAP ${hostname} ${guestAddress},MAP *.${hostname} ${guestAddress}`,
            `--ignore-certificate-errors-spki-list=${trustedSpkiSha256}`,
        ],
    });
}

/**
 * Signs in on the hub's login page through the OIDC provider's form; returns once the browser is
 * back on the hub, wherever the hub sent it (its home, a spawn page, or a refusal).
 */
export async function signIn(page: Page, hubUrl: string, user: TestUser): Promise<void> {
    await page.goto(`${hubUrl}/hub/login`);
    await page.locator("a[href*='oauth_login']").first().click();
    await page.waitForURL((url) => url.pathname.endsWith("/authorize"));
    await page.fill("input[name=username]", user.login);
    await page.fill("input[name=password]", user.password);
    await Promise.all([
        page.waitForURL((url) => url.hostname === new URL(hubUrl).hostname),
        page.click("button[type=submit]"),
    ]);
}

/** What the in-page code uses of the browser (the project's TypeScript has no DOM types). */
interface InPage {
    readonly document: { readonly cookie: string };
    readonly location: { readonly protocol: string; readonly host: string };
    readonly WebSocket: new (url: string) => {
        onopen: () => void;
        onerror: () => void;
        onmessage: (event: { data: unknown }) => void;
        send(data: string): void;
        close(): void;
    };
}

/** Calls the hub's or a user server's REST API from inside the page, with the browser's cookies. */
export async function apiFromPage(page: Page, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    return page.evaluate(async ({ method, path, body }) => {
        const { document } = globalThis as unknown as InPage;
        const xsrf = /(?:^|; )_xsrf=([^;]*)/.exec(document.cookie)?.[1];
        const res = await fetch(path, {
            method,
            headers: { "content-type": "application/json", ...(xsrf ? { "x-xsrftoken": decodeURIComponent(xsrf) } : {}) },
            body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, text: await res.text() };
    }, { method, path, body });
}

/**
 * Runs Python in a new kernel of the user's server and returns what it printed, exactly as the
 * notebook front end does it (REST to start the kernel, Jupyter's message protocol on the
 * websocket), so the code runs as the student inside their server's sandbox.
 */
export async function runInKernel(page: Page, serverPath: string, code: string, timeoutMs = 60_000): Promise<string> {
    const started = await apiFromPage(page, "POST", `${serverPath}/api/kernels`, { name: "python3" });
    if (started.status !== 201) throw new Error(`starting a kernel: ${started.status} ${started.text}`);
    const kernelId = (JSON.parse(started.text) as { id: string }).id;
    try {
        return await page.evaluate(({ serverPath, kernelId, code, timeoutMs }) => new Promise<string>((resolve, reject) => {
            const { location, WebSocket } = globalThis as unknown as InPage;
            const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${serverPath}/api/kernels/${kernelId}/channels`;
            const ws = new WebSocket(url);
            const msgId = crypto.randomUUID();
            let output = "";
            const timer = setTimeout(() => { ws.close(); reject(new Error(`kernel gave no answer in ${timeoutMs} ms; output so far: ${output}`)); }, timeoutMs);
            ws.onerror = () => { clearTimeout(timer); reject(new Error(`websocket to ${url} failed`)); };
            ws.onopen = () => ws.send(JSON.stringify({
                header: { msg_id: msgId, msg_type: "execute_request", username: "", session: crypto.randomUUID(), date: new Date().toISOString(), version: "5.3" },
                parent_header: {}, metadata: {}, channel: "shell",
                content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
            }));
            ws.onmessage = (event) => {
                const msg = JSON.parse(String(event.data));
                if (msg.parent_header?.msg_id !== msgId) return;
                const type = msg.header.msg_type;
                if (type === "stream") output += msg.content.text;
                if (type === "error") output += `${msg.content.ename}: ${msg.content.evalue}\n`;
                if (type === "status" && msg.content.execution_state === "idle") {
                    clearTimeout(timer);
                    ws.close();
                    resolve(output);
                }
            };
        }), { serverPath, kernelId, code, timeoutMs });
    } finally {
        await apiFromPage(page, "DELETE", `${serverPath}/api/kernels/${kernelId}`);
    }
}

/**
 * Runs a shell command line in a new terminal of the user's server, as JupyterLab's terminal does
 * (REST to create it, terminado's protocol on the websocket), and returns once `expect` appears.
 */
export async function runInTerminal(page: Page, serverPath: string, command: string, expect: string, timeoutMs = 60_000): Promise<string> {
    const created = await apiFromPage(page, "POST", `${serverPath}/api/terminals`);
    if (created.status !== 200) throw new Error(`creating a terminal: ${created.status} ${created.text}`);
    const name = (JSON.parse(created.text) as { name: string }).name;
    try {
        return await page.evaluate(({ serverPath, name, command, expect, timeoutMs }) => new Promise<string>((resolve, reject) => {
            const { location, WebSocket } = globalThis as unknown as InPage;
            const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}${serverPath}/terminals/websocket/${name}`;
            const ws = new WebSocket(url);
            let output = "";
            const timer = setTimeout(() => { ws.close(); reject(new Error(`the terminal did not show ${expect} in ${timeoutMs} ms; it showed: ${output}`)); }, timeoutMs);
            ws.onerror = () => { clearTimeout(timer); reject(new Error(`websocket to ${url} failed`)); };
            ws.onopen = () => ws.send(JSON.stringify(["stdin", `${command}\r`]));
            ws.onmessage = (event) => {
                const [kind, text] = JSON.parse(String(event.data)) as [string, string];
                if (kind === "stdout") output += text;
                if (output.includes(expect)) {
                    clearTimeout(timer);
                    ws.close();
                    resolve(output);
                }
            };
        }), { serverPath, name, command, expect, timeoutMs });
    } finally {
        await apiFromPage(page, "DELETE", `${serverPath}/api/terminals/${name}`);
    }
}
