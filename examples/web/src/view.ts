// Small DOM helpers, and the two things every screen shows the same way: how each section of
// the answer fared (meta.sections), and a failed answer (problem, request id, Retry-After).
import type { Exchange, Meta, Outcome, Problem, SectionStatus } from "./api.js";

type Child = Node | string | null | undefined | false;

export function h(
  tag: string,
  attributes: Record<string, string> = {},
  ...children: (Child | Child[])[]
): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/** One line per section: ok, stale with its age, or why it is missing. */
export function sectionLine(name: string, section: SectionStatus): HTMLElement {
  let text: string;
  switch (section.status) {
    case "ok":
      text = "ok";
      break;
    case "stale":
      text = `stale, ${Math.round(section.age ?? 0)} s old`;
      break;
    case "rate_limited":
      text = `rate limited by ${section.downstream ?? "a downstream"}; try again later`;
      break;
    default:
      text = `${section.status.replace("_", " ")}${
        section.downstream ? ` (${section.downstream}${section.httpStatus ? ` ${section.httpStatus}` : ""})` : ""
      }${section.retryable ? ", may recover" : ""}`;
  }
  return h(
    "li",
    { class: `section ${section.status}`, "data-section": name, "data-status": section.status },
    h("span", { class: "name" }, name),
    h("span", { class: "state" }, text),
  );
}

export function sectionsPanel(meta: Meta): HTMLElement {
  return h(
    "aside",
    { class: meta.partial ? "sections partial" : "sections", id: "sections" },
    h("h3", {}, meta.partial ? "Sections (partial answer)" : "Sections"),
    h(
      "ul",
      {},
      Object.entries(meta.sections).map(([name, section]) => sectionLine(name, section)),
    ),
  );
}

/** What a section the screen could do without looks like when it is null. */
export function missing(meta: Meta, name: string): HTMLElement {
  const status = meta.sections[name]?.status ?? "error";
  return h(
    "p",
    { class: "missing", "data-missing": name },
    `No ${name} to show: ${status.replace("_", " ")}`,
  );
}

export function footer(exchange: Exchange): HTMLElement {
  return h(
    "footer",
    { id: "exchange" },
    `HTTP ${exchange.status}`,
    exchange.requestId ? ` · request ${exchange.requestId}` : "",
    exchange.serverTotalMs !== null ? ` · server ${exchange.serverTotalMs.toFixed(1)} ms` : "",
  );
}

let countdownTimer: number | undefined;

export function stopCountdown(): void {
  if (countdownTimer !== undefined) window.clearInterval(countdownTimer);
  countdownTimer = undefined;
}

/** A failed answer: what went wrong, its request id (to quote to the BFF's operators), and, when
 * the BFF said when to come back (Retry-After), a countdown that retries by itself at zero. */
export function problemView(
  problem: Problem,
  retryAfter: number | null,
  exchange: Exchange,
  retry: () => void,
): HTMLElement {
  const requestId = problem.requestId ?? exchange.requestId;
  const view = h(
    "section",
    { class: "problem", id: "problem", "data-status": String(problem.status) },
    h("h2", {}, `${problem.status} ${problem.title}`),
    h("p", { class: "detail" }, problem.detail),
    problem.downstream ? h("p", {}, `Downstream: ${problem.downstream}`) : null,
    h("p", { class: "request-id" }, "Request id: ", h("code", { id: "request-id" }, requestId ?? "none")),
  );
  if (retryAfter !== null) {
    let left = retryAfter;
    const counter = h("span", { id: "countdown", "data-seconds": String(left) }, String(left));
    view.append(h("p", { class: "retry" }, "Try again in ", counter, " s"));
    stopCountdown();
    countdownTimer = window.setInterval(() => {
      left -= 1;
      counter.textContent = String(Math.max(left, 0));
      counter.dataset["seconds"] = String(Math.max(left, 0));
      if (left <= 0) {
        stopCountdown();
        retry();
      }
    }, 1000);
  }
  return view;
}

export function unreachableView(baseUrl: string, message: string): HTMLElement {
  return h(
    "section",
    { class: "problem", id: "unreachable" },
    h("h2", {}, "The BFF could not be reached"),
    h(
      "p",
      {},
      `No answer from ${baseUrl}: it is down, or the browser withheld the answer because this page's origin (${location.origin}) is not in BFF_CORS_ORIGINS.`,
    ),
    h("p", { class: "detail" }, message),
  );
}

/** Renders an outcome: the screen through `render`, or the problem, or the network failure. */
export function show<T>(
  outcome: Outcome<T>,
  baseUrl: string,
  render: (data: T) => HTMLElement,
  retry: () => void,
): HTMLElement[] {
  switch (outcome.kind) {
    case "ok":
      return [render(outcome.data), footer(outcome.exchange)];
    case "problem":
      return [
        problemView(outcome.problem, outcome.retryAfter, outcome.exchange, retry),
        footer(outcome.exchange),
      ];
    case "unreachable":
      return [unreachableView(baseUrl, outcome.message)];
  }
}
