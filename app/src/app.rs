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
lazy_page!(HomeRoute, HomePage);
lazy_page!(CredentialsRoute, CredentialsPage);
lazy_page!(IamRoute, IamPage);
lazy_page!(ServiceAccountsRoute, ServiceAccountsPage);
lazy_page!(ApiKeysRoute, ApiKeysPage);
lazy_page!(AuditRoute, AuditPage);
lazy_page!(IdentityProviderRoute, IdentityProviderPage);
lazy_page!(EmergencyRevokeRoute, EmergencyRevokePage);

/// Console pages by path, with the name their view has in the split manifest
/// (`__<name>_route_view_<hash>`): keep in step with the route table in [`App`].
#[cfg(feature = "ssr")]
const PAGE_CHUNKS: &[(&str, &str)] = &[
    ("/", "home"),
    ("/credentials", "credentials"),
    ("/iam", "iam"),
    ("/iam/users", "iam"),
    ("/iam/service-accounts", "service_accounts"),
    ("/iam/api-keys", "api_keys"),
    ("/iam/audit", "audit"),
    ("/iam/identity-provider", "identity_provider"),
    ("/iam/emergency-revoke", "emergency_revoke"),
];

/// Preloads, in `<head>`, the WASM chunks of the console page being rendered, so the browser
/// fetches them beside the main WASM instead of after it. Leptos does this by itself only for a
/// lazy route it reaches before the head is written, which a page inside the layout's
/// `Suspense` (waiting for the session's user) often is not.
#[cfg(feature = "ssr")]
fn preload_page_chunks() {
    use leptos_meta::Link;
    let Some(manifest) = use_context::<leptos::WasmSplitManifest>() else {
        return; // built without --split
    };
    let Some(path) =
        use_context::<http::request::Parts>().map(|parts| parts.uri.path().to_string())
    else {
        return;
    };
    let Some((_, name)) = PAGE_CHUNKS.iter().find(|(page, _)| *page == path) else {
        return;
    };
    let prefix = format!("__{name}_route_view_");
    let Some((wasm, loader)) = manifest.0.with_value(|(pkg, chunks, loader)| {
        chunks
            .iter()
            .find(|(key, _)| key.starts_with(&prefix))
            .map(|(_, modules)| {
                let wasm: Vec<String> = modules.iter().map(|m| format!("{pkg}/{m}.wasm")).collect();
                (wasm, format!("{pkg}/{loader}"))
            })
    }) else {
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

/// Fetches the chunks of every console page, one after another. The client calls it once the
/// page on show is interactive and the browser is idle, so a later navigation does not wait for
/// a chunk (they are content-hashed and cached for a year). The sign-in page fetches only Home's
/// (a few KiB, where signing in lands): it leaves by full page loads, through the IdP.
#[cfg(feature = "hydrate")]
pub async fn prefetch_pages(signing_in: bool) {
    HomeRoute::preload().await;
    if signing_in {
        return;
    }
    CredentialsRoute::preload().await;
    IamRoute::preload().await;
    ServiceAccountsRoute::preload().await;
    ApiKeysRoute::preload().await;
    AuditRoute::preload().await;
    IdentityProviderRoute::preload().await;
    EmergencyRevokeRoute::preload().await;
}

#[cfg(feature = "ssr")]
static STYLESHEET_HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The stylesheet's URL: `/pkg/<name>.<hash>.css` when cargo-leptos hashed the bundle (its
/// hashes are in the file it writes beside the server binary), else `/pkg/<name>.css`. Worked
/// out once per process.
#[cfg(feature = "ssr")]
pub fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    STYLESHEET_HREF.get_or_init(|| hashed_stylesheet_href(options))
}

/// The stylesheet's URL as [`stylesheet_href`] first worked it out (the unhashed name before).
#[cfg(feature = "ssr")]
pub fn linked_stylesheet() -> &'static str {
    STYLESHEET_HREF
        .get()
        .map_or("/pkg/gatehouse.css", String::as_str)
}

/// The client never renders the shell.
#[cfg(not(feature = "ssr"))]
pub fn stylesheet_href(_: &LeptosOptions) -> &'static str {
    "/pkg/gatehouse.css"
}

#[cfg(feature = "ssr")]
fn hashed_stylesheet_href(options: &LeptosOptions) -> String {
    let hash = options
        .hash_files
        .then(|| {
            let exe = std::env::current_exe().ok()?;
            std::fs::read_to_string(exe.parent()?.join(options.hash_file.as_ref())).ok()
        })
        .flatten()
        .and_then(|hashes| {
            hashes.lines().find_map(|line| {
                let (file, hash) = line.split_once(':')?;
                (file.trim() == "css").then(|| hash.trim().to_string())
            })
        });
    match hash {
        Some(hash) => format!(
            "/{}/{}.{hash}.css",
            options.site_pkg_dir, options.output_name
        ),
        None => format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
    }
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::csp::provide_request_nonce();
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
                <HydrationScripts options />
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
                <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()} />
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
