import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { check } from "./process";

/**
 * The course repository, served read-only over git's smart HTTP protocol by `git http-backend`
 * (the CGI program git ships for this), as GitHub serves a course repository. The test plays the
 * instructor: it commits in its own clone and pushes to the bare repository on disk.
 */
export interface CourseRepo {
    readonly url: string;
    /** Writes the files (path → content), commits them as the instructor and pushes. */
    publish(files: Readonly<Record<string, string>>, message: string): Promise<void>;
    close(): Promise<void>;
}

const AUTHOR = ["-c", "user.name=Course Staff", "-c", "user.email=staff@e2e-classroom.test"];

export async function startCourseRepo(dir: string, host: string, port: number, branch: string): Promise<CourseRepo> {
    const projectRoot = join(dir, "served");
    const bare = join(projectRoot, "course.git");
    const clone = join(dir, "instructor-clone");
    mkdirSync(projectRoot, { recursive: true });
    await check("git", ["init", "--quiet", "--bare", `--initial-branch=${branch}`, bare]);
    await check("git", ["init", "--quiet", `--initial-branch=${branch}`, clone]);
    await check("git", ["-C", clone, "remote", "add", "origin", bare]);

    const server = createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://course");
        const cgi = spawn("git", ["http-backend"], {
            env: {
                PATH: process.env.PATH,
                GIT_PROJECT_ROOT: projectRoot,
                GIT_HTTP_EXPORT_ALL: "1",
                GATEWAY_INTERFACE: "CGI/1.1",
                REQUEST_METHOD: req.method,
                PATH_INFO: decodeURIComponent(url.pathname),
                QUERY_STRING: url.search.slice(1),
                CONTENT_TYPE: req.headers["content-type"] ?? "",
                REMOTE_ADDR: req.socket.remoteAddress ?? "",
                HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
                GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
            },
            stdio: ["pipe", "pipe", "inherit"],
        });
        req.pipe(cgi.stdin);
        let head = Buffer.alloc(0);
        let headersDone = false;
        cgi.stdout.on("data", (chunk: Buffer) => {
            if (headersDone) return void res.write(chunk);
            head = Buffer.concat([head, chunk]);
            const end = head.indexOf("\r\n\r\n");
            if (end < 0) return;
            headersDone = true;
            let status = 200;
            for (const line of head.subarray(0, end).toString().split("\r\n")) {
                const [name, ...value] = line.split(":");
                if (name.toLowerCase() === "status") status = parseInt(value.join(":"), 10);
                else res.setHeader(name, value.join(":").trim());
            }
            res.writeHead(status);
            res.write(head.subarray(end + 4));
        });
        cgi.on("close", () => {
            if (!headersDone) res.writeHead(502);
            res.end();
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, resolve);
    });

    return {
        url: `http://${host}:${port}/course.git`,
        async publish(files, message) {
            for (const [path, content] of Object.entries(files)) {
                mkdirSync(join(clone, path, ".."), { recursive: true });
                writeFileSync(join(clone, path), content);
            }
            await check("git", ["-C", clone, "add", "--all"]);
            await check("git", ["-C", clone, ...AUTHOR, "commit", "--quiet", "-m", message]);
            await check("git", ["-C", clone, "push", "--quiet", "origin", `HEAD:${branch}`]);
        },
        close: () => new Promise((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}

/** A minimal notebook whose one code cell holds `source`. */
export function notebook(source: string): string {
    return JSON.stringify({
        cells: [{ cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: [source] }],
        metadata: { kernelspec: { display_name: "Python 3", language: "python", name: "python3" } },
        nbformat: 4,
        nbformat_minor: 4,
    }, null, 1) + "\n";
}
