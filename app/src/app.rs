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
use leptos_router::{path, SsrMode};

/// Every console page: the paths it is shown at, and its islands — the `#[island(lazy)]`
/// components that are all of its code the browser runs (the rest of a page is HTML from the
/// server, and its code never reaches the WASM). `cargo leptos build --split` puts each lazy
/// island in WASM chunks of its own, named in the split manifest `<island>_loader_<hash>` (the
/// component's name in snake case); the server preloads the chunks of the page it renders. A
/// server test checks these paths against the route table.
pub const CONSOLE_PAGES: &[(&str, &[&str])] = &[
    (crate::urls::HOME, &[]),
    (crate::urls::CREDENTIALS, &["credentials_manager"]),
    (crate::urls::IAM, &["members_manager"]),
    ("/iam/users", &["members_manager"]),
    ("/iam/service-accounts", &["service_accounts_manager"]),
    (crate::urls::IAM_API_KEYS, &["api_keys_manager"]),
    (crate::urls::IAM_AUDIT, &[]),
    (
        crate::urls::IAM_IDENTITY_PROVIDER,
        &["copy_metadata_button"],
    ),
    (crate::urls::IAM_EMERGENCY_REVOKE, &["revoke_form"]),
];

/// The WASM chunks of the islands of the console page at `path` and the chunk loader's URL, from
/// the split manifest (`None` for a page without islands or a path that is no console page, or a
/// build without `--split`).
#[cfg(feature = "ssr")]
fn page_chunks(path: &str) -> Option<(Vec<String>, String)> {
    let manifest = use_context::<leptos::WasmSplitManifest>()?;
    let (_, islands) = CONSOLE_PAGES.iter().find(|(page, _)| *page == path)?;
    manifest.0.with_value(|(pkg, chunks, loader)| {
        let mut wasm: Vec<String> = islands
            .iter()
            .flat_map(|island| {
                let prefix = format!("{island}_loader_");
                chunks
                    .iter()
                    .filter(move |(key, _)| key.starts_with(&prefix))
                    .flat_map(|(_, modules)| modules.iter())
            })
            .map(|m| format!("{pkg}/{m}.wasm"))
            .collect();
        wasm.sort();
        wasm.dedup();
        (!wasm.is_empty()).then(|| (wasm, format!("{pkg}/{loader}")))
    })
}

/// Preloads, in `<head>`, the WASM chunks of the islands of the console page being rendered, so
/// the browser fetches them beside the main WASM instead of after hydrating it. Leptos does this
/// by itself only for a lazy function it reaches before the head is written, and that races:
/// where it does, each link is there twice — the same URL and `crossorigin`, so one fetch.
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

/// Whether the page at `path` has islands to hydrate. Pages without (Home, the audit log — a
/// table, a GET form and links, its state in the address —, and every page outside
/// [`CONSOLE_PAGES`]: sign-in, not found) are sent without the island script: a first visit there
/// downloads no WASM at all. They ask the browser instead to prefetch, at idle priority, the main
/// WASM and its JS, so the next page starts from the cache.
pub fn has_islands(path: &str) -> bool {
    CONSOLE_PAGES
        .iter()
        .any(|(page, islands)| *page == path && !islands.is_empty())
}

/// Whether the page being rendered has islands (see [`has_islands`]); the browser never renders
/// a page, so there it has none.
pub fn rendering_page_with_islands() -> bool {
    #[cfg(feature = "ssr")]
    let rendering =
        use_context::<http::request::Parts>().is_some_and(|parts| has_islands(parts.uri.path()));
    #[cfg(not(feature = "ssr"))]
    let rendering = false;
    rendering
}

/// What a page without islands prefetches (see [`has_islands`]).
#[cfg(feature = "ssr")]
fn console_prefetch(options: &LeptosOptions) -> Vec<String> {
    let files = bundle_files(options);
    vec![files.js.clone(), files.wasm.clone()]
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::csp::provide_request_nonce();
    #[cfg(feature = "ssr")]
    let (hydration, prefetch) = if rendering_page_with_islands() {
        (
            Some(view! { <HydrationScripts options=options.clone() islands=true /> }),
            Vec::new(),
        )
    } else {
        (None, console_prefetch(&options))
    };
    #[cfg(not(feature = "ssr"))]
    let (hydration, prefetch) = (
        Some(view! { <HydrationScripts options=options.clone() islands=true /> }),
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
                <Route path=path!("/signin") view=SignInPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=ConsoleLayout ssr=SsrMode::Async>
                    <Route path=path!("") view=HomePage />
                    <Route path=path!("credentials") view=CredentialsPage />
                    <Route path=path!("iam") view=IamPage />
                    <Route path=path!("iam/users") view=IamPage />
                    <Route path=path!("iam/service-accounts") view=ServiceAccountsPage />
                    <Route path=path!("iam/api-keys") view=ApiKeysPage />
                    <Route path=path!("iam/audit") view=AuditPage />
                    <Route path=path!("iam/identity-provider") view=IdentityProviderPage />
                    <Route path=path!("iam/emergency-revoke") view=EmergencyRevokePage />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[cfg(test)]
mod tests {
    use super::has_islands;

    #[test]
    fn only_pages_listing_islands_get_the_island_script() {
        assert!(has_islands("/iam/service-accounts"));
        assert!(has_islands("/iam/users"));
        assert!(!has_islands("/"), "Home is links and facts");
        assert!(!has_islands("/iam/audit"), "the audit log is read-only");
        assert!(!has_islands("/signin"));
        assert!(!has_islands("/no/such/page"));
    }
}
