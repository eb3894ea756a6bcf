use crate::model::{Me, Role};
use crate::urls;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn HomePage() -> impl IntoView {
    let me = use_context::<Me>();
    view! {
        <Title text="Home" />
        {me.map(|me| {
            let first = me.display_name.split_whitespace().next().unwrap_or("there").to_string();
            view! {
                <h1>"Welcome, " {first}</h1>
                <section class="card">
                    <h2>"Your account"</h2>
                    <dl class="facts">
                        <dt>"Name"</dt><dd>{me.display_name.clone()}</dd>
                        <dt>"Email"</dt><dd>{me.email.clone()}</dd>
                        <dt>"Role"</dt><dd>{me.role.as_str()}</dd>
                        <dt>"Organization"</dt><dd>{me.org_name.clone()} " (" <code>{me.org_id.clone()}</code> ")"</dd>
                    </dl>
                    <p class="hint">
                        {match me.role {
                            Role::Owner => "As an owner you administer this organization's members and service accounts.",
                            Role::Collaborator => "Your role comes from your identity provider's groups at first sign-in; an owner can change it.",
                        }}
                    </p>
                </section>
                <section class="card">
                    <h2>"Next steps"</h2>
                    <ul class="links">
                        <li><A href=urls::CREDENTIALS>"Credentials"</A>" — personal CLI tokens for the API and the gatehouse CLI."</li>
                        <li><A href=urls::IAM>"Users & IAM"</A>" — members and service accounts."</li>
                    </ul>
                </section>
            }
        })}
    }
}
