//! The HTML shell, the root component and the route table.
use crate::components::layout::ConsoleLayout;
use crate::pages::{
    api_keys::ApiKeysPage, audit::AuditPage, credentials::CredentialsPage,
    emergency_revoke::EmergencyRevokePage, home::HomePage, iam::IamPage,
    identity_provider::IdentityProviderPage, not_found::NotFound,
    service_accounts::ServiceAccountsPage, sign_in::SignInPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{lazy_route, path, Lazy, LazyRoute, SsrMode};

/// A page as a lazy route: `cargo leptos build --split` puts its code in WASM chunks of its
/// own, fetched when the page is first shown (the server-rendered HTML preloads the chunks of
/// the page the browser lands on), so a first visit downloads the shell and one page.
///
/// The page's data is loaded by the page itself once its chunk is there: on a client-side
/// navigation that is a chunk fetch, then the data fetch (the chunks are small and cached).
macro_rules! lazy_page {
    ($route:ident, $page:ident) => {
        pub struct $route;
        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }
            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    };
}

lazy_page!(SignInRoute, SignInPage);

/// Every console page, once: its lazy route, its component, the name wasm-split gives its chunks
/// (the route's name in snake case, `__<name>_route_view_<hash>` in the split manifest) and the
/// paths it is shown at. From this list come the routes' types, [`CONSOLE_PAGES`] (the chunk
/// preloads) and [`prefetch_pages`]; the route table in [`App`] names the same routes, and a
/// server test checks that its console paths are exactly these.
macro_rules! console_pages {
    ($($route:ident => $page:ident, $chunk:literal, [$($path:literal),+];)+) => {
        $(lazy_page!($route, $page);)+

        /// Console pages by path, with the name of their chunks in the split manifest.
        pub const CONSOLE_PAGES: &[(&str, &str)] = &[$($(($path, $chunk),)+)+];

        /// Fetches the chunks of every hydrated console page, one after another. The client
        /// calls it once the page on show is interactive and the browser is idle, so a later
        /// navigation does not wait for a chunk (they are content-hashed and cached for a year).
        /// The [`STATIC_PAGES`] never run it and are never built in the browser: they are not
        /// hydrated, and prefetch the shell and Home's chunks through `<link rel="prefetch">`.
        #[cfg(feature = "hydrate")]
        pub async fn prefetch_pages() {
            $(
                if ![$($path),+].iter().any(|path| STATIC_PAGES.contains(path)) {
                    $route::preload().await;
                }
            )+
        }
    };
}

console_pages! {
    HomeRoute => HomePage, "home", ["/"];
    CredentialsRoute => CredentialsPage, "credentials", ["/credentials"];
    IamRoute => IamPage, "iam", ["/iam", "/iam/users"];
    ServiceAccountsRoute => ServiceAccountsPage, "service_accounts", ["/iam/service-accounts"];
    ApiKeysRoute => ApiKeysPage, "api_keys", ["/iam/api-keys"];
    AuditRoute => AuditPage, "audit", ["/iam/audit"];
    IdentityProviderRoute => IdentityProviderPage, "identity_provider", ["/iam/identity-provider"];
    EmergencyRevokeRoute => EmergencyRevokePage, "emergency_revoke", ["/iam/emergency-revoke"];
}

/// The WASM chunks of the console page at `path` and the chunk loader's URL, from the split
/// manifest (`None` for a path that is no console page, or a build without `--split`).
#[cfg(feature = "ssr")]
fn page_chunks(path: &str) -> Option<(Vec<String>, String)> {
    let manifest = use_context::<leptos::WasmSplitManifest>()?;
    let (_, name) = CONSOLE_PAGES.iter().find(|(page, _)| *page == path)?;
    let prefix = format!("__{name}_route_view_");
    manifest.0.with_value(|(pkg, chunks, loader)| {
        chunks
            .iter()
            .find(|(key, _)| key.starts_with(&prefix))
            .map(|(_, modules)| {
                let wasm: Vec<String> = modules.iter().map(|m| format!("{pkg}/{m}.wasm")).collect();
                (wasm, format!("{pkg}/{loader}"))
            })
    })
}

/// Preloads, in `<head>`, the WASM chunks of the console page being rendered, so the browser
/// fetches them beside the main WASM instead of after it. Leptos does this by itself only for a
/// lazy route it reaches before the head is written, and that races: even with the page fully
/// rendered first (`SsrMode::Async`) it missed some pages (seen: the audit log) while it got
/// others, which then carry each link twice — the same URL and `crossorigin`, so one fetch.
#[cfg(feature = "ssr")]
fn preload_page_chunks() {
    use leptos_meta::Link;
    let Some(path) =
        use_context::<http::request::Parts>().map(|parts| parts.uri.path().to_string())
    else {
        return;
    };
    let Some((wasm, loader)) = page_chunks(&path) else {
        return;
    };
    // The same `crossorigin` as Leptos' own preloads, so a page that gets both fetches once.
    let nonce = leptos::nonce::use_nonce()
        .map(|n| n.to_string())
        .unwrap_or_default();
    // `to_html` on a leptos_meta component registers it with the page's <head>.
    for href in wasm {
        let _ = view! {
            <Link rel="preload" href=href as_="fetch" type_="application/wasm" crossorigin=nonce.clone() />
        }
        .to_html();
    }
    let _ = view! { <Link rel="modulepreload" href=loader crossorigin=nonce /> }.to_html();
}

/// The bundle's URLs: `/pkg/<name>.<hash>.<ext>` when cargo-leptos hashed it (its hashes are in
/// the file it writes beside the server binary), else the plain names. Worked out once per
/// process (at start, by [`stylesheet_href`]).
#[cfg(feature = "ssr")]
struct BundleFiles {
    css: String,
    js: String,
    wasm: String,
}

#[cfg(feature = "ssr")]
static BUNDLE: std::sync::OnceLock<BundleFiles> = std::sync::OnceLock::new();

#[cfg(feature = "ssr")]
fn bundle_files(options: &LeptosOptions) -> &'static BundleFiles {
    BUNDLE.get_or_init(|| {
        let hashes = options
            .hash_files
            .then(|| {
                let exe = std::env::current_exe().ok()?;
                std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok()
            })
            .flatten()
            .unwrap_or_default();
        let href = |kind: &str, unhashed: &str| {
            let hash = hashes.lines().find_map(|line| {
                let (file, hash) = line.split_once(':')?;
                (file.trim() == kind).then(|| hash.trim())
            });
            let (pkg, name) = (&options.site_pkg_dir, &options.output_name);
            match hash {
                Some(hash) => format!("/{pkg}/{name}.{hash}.{kind}"),
                None => format!("/{pkg}/{name}{unhashed}.{kind}"),
            }
        };
        // Without hashes the WASM is `<name>_bg.wasm` unless cargo-leptos named it (as Leptos'
        // `HydrationScripts` works it out).
        let bg = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
            ""
        } else {
            "_bg"
        };
        BundleFiles {
            css: href("css", ""),
            js: href("js", ""),
            wasm: href("wasm", bg),
        }
    })
}

/// The stylesheet's URL (see [`BundleFiles`]).
#[cfg(feature = "ssr")]
pub fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    &bundle_files(options).css
}

/// The stylesheet's URL as [`stylesheet_href`] first worked it out (the unhashed name before).
#[cfg(feature = "ssr")]
pub fn linked_stylesheet() -> &'static str {
    BUNDLE
        .get()
        .map_or("/pkg/gatehouse.css", |files| files.css.as_str())
}

/// The client never renders the shell.
#[cfg(not(feature = "ssr"))]
pub fn stylesheet_href(_: &LeptosOptions) -> &'static str {
    "/pkg/gatehouse.css"
}

/// Pages with nothing to hydrate: the sign-in page (a link to the IdP and two lines of text) and
/// the audit log (a table, a GET form and links; its state is in the address). They are sent
/// without the hydration script: a first visit there downloads no WASM before it is usable. They
/// ask the browser instead to prefetch, at idle priority, what the rest of the console needs
/// (the shell and Home's chunks, where signing in lands), so the next page starts from the cache.
/// Links to them are page loads (`rel="external"`), so the browser never builds them itself.
pub const STATIC_PAGES: &[&str] = &[crate::urls::SIGN_IN, crate::urls::IAM_AUDIT];

/// Whether the page being rendered is one of the [`STATIC_PAGES`].
#[cfg(feature = "ssr")]
fn is_static_page() -> bool {
    use_context::<http::request::Parts>()
        .is_some_and(|parts| STATIC_PAGES.contains(&parts.uri.path()))
}

/// What a static page prefetches (see [`is_static_page`]); needs the split manifest, which
/// `HydrationScripts` provides as context.
#[cfg(feature = "ssr")]
fn console_prefetch(options: &LeptosOptions) -> Vec<String> {
    let files = bundle_files(options);
    let mut hrefs = vec![files.js.clone(), files.wasm.clone()];
    if let Some((wasm, loader)) = page_chunks(crate::urls::HOME) {
        hrefs.push(loader);
        hrefs.extend(wasm);
    }
    hrefs
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::csp::provide_request_nonce();
    #[cfg(feature = "ssr")]
    let (hydration, prefetch) = if is_static_page() {
        // `HydrationScripts` provides the split manifest as context; built in an owner of its
        // own here, it serves the prefetch list without Leptos (or `preload_page_chunks`)
        // also preloading the page's own chunks, which this page never runs.
        let prefetch = Owner::new().with(|| {
            let _ = view! { <HydrationScripts options=options.clone() /> };
            console_prefetch(&options)
        });
        (None, prefetch)
    } else {
        (
            Some(view! { <HydrationScripts options=options.clone() /> }),
            Vec::new(),
        )
    };
    #[cfg(not(feature = "ssr"))]
    let (hydration, prefetch) = (
        Some(view! { <HydrationScripts options=options.clone() /> }),
        Vec::<String>::new(),
    );
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <link id="leptos" rel="stylesheet" href=stylesheet_href(&options) />
                {hydration}
                {prefetch.into_iter().map(|href| view! { <link rel="prefetch" href=href /> }).collect_view()}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    preload_page_chunks();
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Gatehouse".to_string() } else { format!("{page} · Gatehouse") }
        } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()} ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view={Lazy::<HomeRoute>::new()} />
                    <Route path=path!("credentials") view={Lazy::<CredentialsRoute>::new()} />
                    <Route path=path!("iam") view={Lazy::<IamRoute>::new()} />
                    <Route path=path!("iam/users") view={Lazy::<IamRoute>::new()} />
                    <Route path=path!("iam/service-accounts") view={Lazy::<ServiceAccountsRoute>::new()} />
                    <Route path=path!("iam/api-keys") view={Lazy::<ApiKeysRoute>::new()} />
                    <Route path=path!("iam/audit") view={Lazy::<AuditRoute>::new()} />
                    <Route path=path!("iam/identity-provider") view={Lazy::<IdentityProviderRoute>::new()} />
                    <Route path=path!("iam/emergency-revoke") view={Lazy::<EmergencyRevokeRoute>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}
