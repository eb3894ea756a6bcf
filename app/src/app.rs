//! The HTML shell, the root component and the route table.
use crate::components::layout::ConsoleLayout;
use crate::pages::{
    api_keys::ApiKeysPage, audit::AuditPage, credentials::CredentialsPage,
    emergency_revoke::EmergencyRevokePage, home::HomePage, iam::IamPage,
    identity_provider::IdentityProviderPage, not_found::NotFound,
    service_accounts::ServiceAccountsPage, sign_in::SignInPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

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
    view! {
        <Stylesheet id="leptos" href="/pkg/gatehouse.css" />
        <Title formatter=|page: String| {
            if page.is_empty() { "Gatehouse".to_string() } else { format!("{page} · Gatehouse") }
        } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/signin") view=SignInPage />
                <ParentRoute path=path!("") view=ConsoleLayout>
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
