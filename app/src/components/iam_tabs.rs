use leptos::prelude::*;

/// The tabs of Users & IAM. `active` is the path of the current tab.
#[component]
pub fn IamTabs(active: &'static str) -> impl IntoView {
    let tabs = [
        ("/iam/users", "Users"),
        ("/iam/service-accounts", "Service accounts"),
        ("/iam/api-keys", "API keys"),
        (crate::urls::IAM_AUDIT, "Audit log"),
        (crate::urls::IAM_EMERGENCY_REVOKE, "Emergency revoke"),
        (crate::urls::IAM_IDENTITY_PROVIDER, "Identity provider"),
    ];
    view! {
        <nav class="tabs" aria-label="Users & IAM">
            {tabs.into_iter().map(|(href, label)| {
                let current = href == active;
                view! {
                    <a href=href class=if current { "tab active" } else { "tab" }
                        aria-current=current.then_some("page")>{label}</a>
                }
            }).collect_view()}
        </nav>
    }
}

/// Shown instead of owner-only controls to everyone else.
#[component]
pub fn OwnersOnly(what: &'static str) -> impl IntoView {
    view! {
        <section class="card" data-testid="owners-only">
            <h2>"Only owners can open this page"</h2>
            <p>
                {what} " are managed by your organization's owners. If you need something here, ask one of them: "
                "they are marked " <span class="badge badge-owner">"owner"</span> " on the "
                <a href=crate::urls::IAM>"Users"</a> " tab."
            </p>
        </section>
    }
}
