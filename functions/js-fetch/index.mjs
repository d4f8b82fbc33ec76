// Outbound HTTP from JavaScript with `fetch` (fnhost's, over wasi:http). The event picks the
// operation: `{ "op": "text" | "json" | "post-json" | "catch", "url": ..., "body": ... }`.
// The host only lets the function reach what its `allowed_outbound_hosts` lists; a refused
// request rejects with `TypeError: fetch failed: ...` naming the entry to add.
export const handler = async (event) => {
  const { op, url } = event;
  switch (op) {
    case "text": {
      // An uncaught rejection (a refused host) becomes the function's error.
      const r = await fetch(url, { redirect: event.redirect ?? "follow" });
      return {
        status: r.status,
        ok: r.ok,
        statusText: r.statusText,
        contentType: r.headers.get("content-type"),
        url: r.url,
        redirected: r.redirected,
        text: await r.text(),
      };
    }
    case "json": {
      const r = await fetch(new Request(url, { headers: { accept: "application/json" } }));
      return { status: r.status, json: await r.json() };
    }
    case "post-json": {
      const r = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Fnhost-Test": "js-fetch" },
        body: JSON.stringify(event.body),
      });
      return { status: r.status, json: await r.json() };
    }
    case "catch": {
      try {
        const r = await fetch(url);
        return { fetched: r.status };
      } catch (e) {
        return { name: e.name, message: e.message, cause: e.cause?.message ?? null };
      }
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(op)}`);
  }
};
