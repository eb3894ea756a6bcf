use leptos::prelude::*;
use leptos_meta::Title;

/// Placeholder until personal CLI tokens land (issue #3). It says so rather than faking it.
#[component]
pub fn CredentialsPage() -> impl IntoView {
    view! {
        <Title text="Credentials" />
        <h1>"Credentials"</h1>
        <section class="card coming-soon" data-testid="coming-soon">
            <h2>"Coming soon"</h2>
            <p>
                "Personal CLI tokens — create one, copy it once, and \"Revoke all credentials\" — "
                "are not built yet. Nothing on this page issues or stores a token today."
            </p>
        </section>
    }
}
