// Serves @octokit/fixtures-server's recorded GitHub API scenarios on 127.0.0.1 only
// (its own bin/server.js listens on every interface). Usage: node tools/fixtures-server.mjs [port]
import express from "express";
import fixtureServerMiddleware from "@octokit/fixtures-server";
import DEFAULTS from "@octokit/fixtures-server/lib/defaults.js";

const port = Number.parseInt(process.argv[2] ?? process.env.PORT ?? "3000", 10);
const app = express();
app.get("/ping", (_request, response) => response.json({ ok: true }));
app.use(
  fixtureServerMiddleware({
    port,
    fixturesUrl: `http://127.0.0.1:${port}`,
    logLevel: "error",
    ttl: DEFAULTS.ttl,
    fixtures: DEFAULTS.fixtures,
  }),
);
app.listen(port, "127.0.0.1", () => console.log(`fixtures server on http://127.0.0.1:${port}`));
