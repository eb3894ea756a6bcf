use leptos::prelude::*;
use leptos_meta::Title;

/// Placeholder until members and service accounts land (issues #3 and #4).
#[component]
pub fn IamPage() -> impl IntoView {
    view! {
        <Title text="Users & IAM" />
        <h1>"Users & IAM"</h1>
        <section class="card coming-soon" data-testid="coming-soon">
            <h2>"Coming soon"</h2>
            <p>
                "The member list, service accounts and their API keys are not built yet. "
                "Members are created automatically when they first sign in through SSO."
            </p>
        </section>
    }
}
