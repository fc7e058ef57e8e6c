// The BFF client: openapi-fetch typed by the generated contract (openapi/bff.d.ts), so every
// path, parameter and body below is checked by tsc against the published OpenAPI document.
import createClient from "openapi-fetch";
export function bffClient(baseUrl, token) {
    const client = createClient({ baseUrl });
    client.use({
        onRequest({ request }) {
            const bearer = token();
            if (bearer !== null)
                request.headers.set("Authorization", `Bearer ${bearer}`);
            return request;
        },
    });
    return client;
}
/** `total;dur=12.3` from Server-Timing: readable cross-origin only thanks to
 * Access-Control-Expose-Headers (the header) and Timing-Allow-Origin (the timing API). */
export function serverTotal(header) {
    const total = header
        ?.split(",")
        .map((entry) => entry.trim())
        .find((entry) => entry.startsWith("total;"));
    const match = total?.match(/dur=([0-9.]+)/);
    return match?.[1] !== undefined ? Number(match[1]) : null;
}
export function exchangeOf(response) {
    return {
        status: response.status,
        requestId: response.headers.get("X-Request-ID"),
        serverTotalMs: serverTotal(response.headers.get("Server-Timing")),
        partial: response.headers.get("X-BFF-Partial") === "true",
    };
}
/** Seconds from `Retry-After` (the BFF sends whole seconds; an HTTP date is honoured too). */
export function retryAfterSeconds(header, now = Date.now()) {
    if (header === null)
        return null;
    if (/^\d+$/.test(header.trim()))
        return Number(header.trim());
    const when = Date.parse(header);
    return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - now) / 1000));
}
/** Turns openapi-fetch's `{data, error, response}` into an `Outcome`; a network failure (the BFF
 * is down, or the browser blocked the answer because this origin is not allowed) is
 * "unreachable": the page gets no status and no headers at all in that case. */
export async function outcome(call) {
    let result;
    try {
        result = await call;
    }
    catch (failure) {
        const message = failure instanceof Error ? failure.message : String(failure);
        return { kind: "unreachable", message };
    }
    const exchange = exchangeOf(result.response);
    if (result.data !== undefined && result.response.ok) {
        return { kind: "ok", data: result.data, exchange };
    }
    const problem = asProblem(result.error, exchange);
    const retryAfter = retryAfterSeconds(result.response.headers.get("Retry-After"));
    return { kind: "problem", problem, retryAfter, exchange };
}
function asProblem(error, exchange) {
    if (typeof error === "object" && error !== null && "status" in error && "title" in error) {
        return error;
    }
    return {
        type: "about:blank",
        title: `HTTP ${exchange.status}`,
        status: exchange.status,
        detail: typeof error === "string" && error ? error : "The BFF answered without details.",
        requestId: exchange.requestId,
    };
}
