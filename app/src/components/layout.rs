//! The signed-in console frame: header (organization, who you are, sign out) and navigation.
//! Without a session it sends the browser to sign-in and back afterwards.
use crate::api::session::get_me;
use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::model::{Me, Role};
use crate::urls;
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let me = Resource::new(|| (), |_| get_me());
    let location = use_location();
    let toast = super::toast::provide_toast();
    view! {
        <Suspense fallback=|| view! { <div class="loading">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(me) => {
                        provide_context(me.clone());
                        let warning = me.idp_warning.then(|| view! {
                            <div class="banner banner-warning" role="alert" data-testid="idp-warning-banner">
                                "Gatehouse could not refresh your identity provider's metadata; sign-in keeps working with the last good copy. "
                                <a href=urls::IAM_IDENTITY_PROVIDER>"See Identity provider"</a>
                            </div>
                        });
                        view! {
                            <Header me=me />
                            <main class="content">
                                {warning}
                                <Outlet />
                            </main>
                            <super::toast::ToastRegion toast />
                        }
                            .into_any()
                    }
                    Err(AppError::Unauthorized) => {
                        let here = format!(
                            "{}{}",
                            location.pathname.get_untracked(),
                            location.search.get_untracked(),
                        );
                        let here = if location.search.get_untracked().is_empty() {
                            location.pathname.get_untracked()
                        } else {
                            here
                        };
                        view! { <Redirect path=urls::sign_in_with_next(&here) /> }.into_any()
                    }
                    Err(error) => view! { <ErrorBox error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Header(me: Me) -> impl IntoView {
    let role_class = match me.role {
        Role::Owner => "badge badge-owner",
        Role::Collaborator => "badge",
    };
    view! {
        <header class="topbar">
            <div class="brand">
                <svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="7" fill="currentColor"/><path d="M7 10h18M10 10v15M22 10v15M7 14.5h18" stroke="var(--panel)" stroke-width="2.6" stroke-linecap="round"/></svg>
                <span class="product">"Gatehouse"</span>
                <span class="org" title=format!("Organization id {}", me.org_id)>
                    <span class="org-name" data-testid="org-name">{me.org_name.clone()}</span>
                    <code class="org-id" data-testid="org-id">{me.org_id.clone()}</code>
                </span>
            </div>
            <nav class="mainnav" aria-label="Main">
                <A href=urls::HOME exact=true>"Home"</A>
                <A href=urls::CREDENTIALS>"Credentials"</A>
                <A href=urls::IAM>"Users & IAM"</A>
            </nav>
            <div class="whoami">
                <span class="email" data-testid="user-email">{me.email.clone()}</span>
                <span class=role_class data-testid="user-role">{me.role.as_str()}</span>
                <form method="post" action=urls::LOGOUT class="signout">
                    <button type="submit" class="btn btn-quiet">"Sign out"</button>
                </form>
            </div>
        </header>
    }
}
