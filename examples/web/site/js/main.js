// The example app: one view per BFF screen, routed by the URL's hash. `?bff=` names the BFF
// (default: port 8000 of the host that served this page); the page itself comes from another
// origin, so every call is a cross-origin fetch the BFF must allow (BFF_CORS_ORIGINS).
import { bffClient, outcome } from "./api.js";
import { h, missing, sectionsPanel, show, stopCountdown } from "./view.js";
const baseUrl = new URLSearchParams(location.search).get("bff") ?? `${location.protocol}//${location.hostname}:8000`;
const TOKEN_KEY = "bff-example-token";
const client = bffClient(baseUrl, () => sessionStorage.getItem(TOKEN_KEY));
const main = document.getElementById("main");
const picture = (path, alt, className = "picture") => h("img", { src: `${baseUrl}${path}`, alt, class: className, loading: "lazy" });
const productCard = (product) => h("li", { class: "card" }, picture(`/v1/products/${product.id}/image`, product.title, "thumb"), h("a", { href: `#/products/${product.id}` }, product.title), h("span", { class: "price" }, `$${product.price.toFixed(2)}`));
const postItem = (post) => h("li", {}, h("strong", {}, post.title), ` · ${post.likes} likes`);
function list(meta, name, items, item, className = "") {
    return items === null
        ? missing(meta, name)
        : h("ul", { class: className, "data-list": name }, items.map(item));
}
function home(screen) {
    const { meta } = screen;
    return h("div", { class: "screen", "data-screen": "home" }, h("h2", {}, "Home"), screen.quote === null
        ? missing(meta, "quote")
        : h("blockquote", { id: "quote" }, `“${screen.quote.quote}” — ${screen.quote.author}`), h("h3", {}, "Top rated"), list(meta, "top_rated", screen.topRated, productCard, "cards"), h("h3", {}, "Categories"), list(meta, "categories", screen.categories, (c) => h("li", {}, c.name), "tags"), h("h3", {}, "Latest posts"), list(meta, "latest_posts", screen.latestPosts, postItem), sectionsPanel(meta));
}
function profile(screen) {
    const { user, meta } = screen;
    const open = screen.todos?.filter((todo) => !todo.completed).length;
    return h("div", { class: "screen", "data-screen": "profile" }, h("header", { class: "person" }, picture(`/v1/users/${user.id}/avatar`, user.username, "avatar"), h("h2", { id: "name" }, `${user.firstName} ${user.lastName}`), h("p", {}, `@${user.username}${user.location?.city ? ` · ${user.location.city}` : ""}`)), h("h3", {}, "Posts"), list(meta, "posts", screen.posts, postItem), h("h3", {}, "Carts"), list(meta, "carts", screen.carts, (cart) => h("li", {}, `Cart ${cart.id}: ${cart.totalProducts} products, $${cart.discountedTotal.toFixed(2)}`)), h("h3", {}, open === undefined ? "Todos" : `Todos (${open} open)`), list(meta, "todos", screen.todos, (todo) => h("li", { class: todo.completed ? "done" : "" }, todo.todo)), sectionsPanel(meta));
}
function product(screen) {
    const { product: item, meta } = screen;
    return h("div", { class: "screen", "data-screen": "product" }, h("div", { class: "product" }, picture(`/v1/products/${item.id}/image`, item.title, "hero"), h("div", {}, h("h2", { id: "title" }, item.title), h("p", { class: "price" }, `$${item.price.toFixed(2)}`, item.brand ? ` · ${item.brand}` : ""), item.description ? h("p", {}, item.description) : null)), h("h3", {}, "Related"), list(meta, "related", screen.related, productCard, "cards"), sectionsPanel(meta));
}
function search(screen) {
    const { meta } = screen;
    const hits = (name, found, item) => found === null
        ? [h("h3", {}, name), missing(meta, name)]
        : [h("h3", {}, `${name} (${found.total})`), h("ul", { "data-list": name }, found.items.map(item))];
    return h("div", { class: "screen", "data-screen": "search" }, h("h2", {}, `Search: “${screen.query}”`), hits("products", screen.products, (p) => h("li", {}, h("a", { href: `#/products/${p.id}` }, p.title))), hits("users", screen.users, (u) => h("li", {}, h("a", { href: `#/users/${u.id}` }, u.fullName))), hits("posts", screen.posts, postItem), hits("recipes", screen.recipes, (r) => h("li", {}, r.name)), sectionsPanel(meta));
}
function me(screen) {
    const { user, meta } = screen;
    return h("div", { class: "screen", "data-screen": "me" }, h("h2", { id: "name" }, `Signed in as ${user.firstName} ${user.lastName}`), h("h3", {}, "My carts"), list(meta, "carts", screen.carts, (cart) => h("li", {}, `Cart ${cart.id}: ${cart.totalProducts} products`)), h("h3", {}, "My todos"), list(meta, "todos", screen.todos, (todo) => h("li", {}, todo.todo)), h("button", { id: "logout", type: "button" }, "Sign out"), sectionsPanel(meta));
}
function loginForm() {
    const form = h("form", { id: "login" }, h("h2", {}, "Sign in"), h("label", {}, "User ", h("input", { name: "username", value: "emilys", autocomplete: "username" })), h("label", {}, "Password ", h("input", { name: "password", type: "password", value: "emilyspass", autocomplete: "current-password" })), h("button", { type: "submit" }, "Sign in"), h("div", { id: "login-result" }));
    form.addEventListener("submit", (event) => {
        event.preventDefault();
        const fields = new FormData(form);
        void (async () => {
            const result = await outcome(client.POST("/v1/auth/login", {
                body: { username: String(fields.get("username")), password: String(fields.get("password")) },
            }));
            if (result.kind === "ok") {
                sessionStorage.setItem(TOKEN_KEY, result.data.accessToken);
                location.hash = "#/me";
                return;
            }
            document.getElementById("login-result")?.replaceChildren(...show(result, baseUrl, () => h("div"), route));
        })();
    });
    return form;
}
async function load() {
    const [path = "/", query = ""] = location.hash.replace(/^#/, "").split("?");
    const parts = path.split("/").filter(Boolean);
    const id = Number(parts[1]);
    switch (parts[0]) {
        case undefined:
            return show(await outcome(client.GET("/v1/home")), baseUrl, home, route);
        case "users":
            return show(await outcome(client.GET("/v1/users/{user_id}/profile", { params: { path: { user_id: id } } })), baseUrl, profile, route);
        case "products":
            return show(await outcome(client.GET("/v1/products/{product_id}", { params: { path: { product_id: id } } })), baseUrl, product, route);
        case "search": {
            const q = new URLSearchParams(query).get("q") ?? "";
            return show(await outcome(client.GET("/v1/search", { params: { query: { q } } })), baseUrl, search, route);
        }
        case "login":
            return [loginForm()];
        case "me":
            if (sessionStorage.getItem(TOKEN_KEY) === null)
                return [loginForm()];
            return show(await outcome(client.GET("/v1/me")), baseUrl, me, route);
        default:
            return [h("p", {}, "No such page.")];
    }
}
let generation = 0;
/** Renders the page the hash names; `data-loaded` counts renders, for tests and screenshots. */
function route() {
    stopCountdown();
    const mine = ++generation;
    main.setAttribute("aria-busy", "true");
    void load().then((nodes) => {
        if (mine !== generation)
            return; // a newer navigation won
        main.replaceChildren(...nodes);
        main.removeAttribute("aria-busy");
        document.body.dataset["loaded"] = String(mine);
        document.getElementById("logout")?.addEventListener("click", () => {
            sessionStorage.removeItem(TOKEN_KEY);
            location.hash = "#/login";
        });
    });
}
document.getElementById("search")?.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = document.getElementById("q").value;
    location.hash = `#/search?q=${encodeURIComponent(q)}`;
});
document.getElementById("bff-url").textContent = baseUrl;
window.addEventListener("hashchange", route);
route();
