// What a frontend does with the generated types, for two screens (profile and cart): if the
// contract changes in a way this code cannot absorb, `tsc --noEmit` fails in `make test`.
import type { components, operations, paths } from "../bff";

type Schemas = components["schemas"];
export type ProfileScreen = Schemas["ProfileScreen"];
export type CartScreen = Schemas["CartScreen"];
export type Problem = Schemas["Problem"];

// The body types come from the operations, exactly as a typed fetch wrapper derives them.
type Ok<Op extends keyof operations> =
  operations[Op]["responses"][200] extends { content: { "application/json": infer B } } ? B : never;
type Failure<Op extends keyof operations, Status extends keyof operations[Op]["responses"]> =
  operations[Op]["responses"][Status] extends { content: { "application/problem+json": infer P } }
    ? P
    : never;

const profileOk: ProfileScreen extends Ok<"profile_get_profile"> ? true : false = true;
const cartNotFound: Failure<"carts_get_cart", 404> extends Problem ? true : false = true;
export const checks = [profileOk, cartNotFound];

export type ProfilePath = keyof paths & "/v1/users/{user_id}/profile";
type ProfileParams = operations["profile_get_profile"]["parameters"];

export async function loadProfile(
  baseUrl: string,
  userId: ProfileParams["path"]["user_id"],
  requestId?: string,
): Promise<ProfileScreen | Problem> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (requestId !== undefined) headers["X-Request-ID"] = requestId;
  const response = await fetch(`${baseUrl}/v1/users/${userId}/profile`, { headers });
  return (await response.json()) as ProfileScreen | Problem;
}

export function isProblem(body: ProfileScreen | CartScreen | Problem): body is Problem {
  return "status" in body && "title" in body && "type" in body;
}

/** The profile header line, with a note for every section that could not be fetched. */
export function profileHeadline(screen: ProfileScreen): string {
  const { user, meta } = screen;
  const place = user.location?.city ?? "somewhere";
  const posts = screen.posts === null ? "posts unavailable" : `${screen.posts.length} posts`;
  const open = (screen.todos ?? []).filter((todo) => !todo.completed).length;
  const missing = Object.entries(meta.sections)
    .filter(([, section]) => section.status !== "ok")
    .map(([name, section]) => `${name}: ${section.status}${section.retryable ? " (retry)" : ""}`);
  const note = meta.partial ? ` [partial: ${missing.join(", ")}]` : "";
  return `${user.firstName} ${user.lastName} from ${place}: ${posts}, ${open} open todos${note}`;
}

/** The cart page's lines, preferring each product's current title over the one in the cart. */
export function cartLines(screen: CartScreen): string[] {
  const owner = screen.owner?.fullName ?? "unknown owner";
  const lines = screen.lines.map((line) => {
    const title = line.product?.title ?? line.title;
    const total = line.discountedTotal ?? line.total;
    return `${line.quantity} x ${title} = ${total.toFixed(2)}`;
  });
  return [`Cart ${screen.cart.id} of ${owner}`, ...lines, `Total: ${screen.cart.discountedTotal}`];
}

export function describeProblem(problem: Problem): string {
  const fields = (problem.errors ?? []).map((error) => `${error.loc.join(".")}: ${error.msg}`);
  return `${problem.status} ${problem.title} (${problem.requestId ?? "no id"}) ${fields.join("; ")}`;
}

export function leaks(screen: ProfileScreen): unknown {
  // @ts-expect-error: the contract never exposes a user's password.
  return screen.user.password;
}
