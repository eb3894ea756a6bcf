use crate::api::session::get_sign_in_info;
use crate::urls;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || urls::safe_next_path(query.read().get("next").as_deref());
    // Not a resource: the page is never hydrated (it has no islands: `app::has_islands`), so nothing it loads is
    // serialised into it for a browser that will not read it.
    view! {
        <Title text="Sign in" />
        <main class="centered">
            <section class="card narrow signin">
                <div class="brand big">
                    <svg class="logo" viewBox="0 0 32 32" aria-hidden="true"><rect width="32" height="32" rx="7" fill="currentColor"/><path d="M7 10h18M10 10v15M22 10v15M7 14.5h18" stroke="var(--panel)" stroke-width="2.6" stroke-linecap="round"/></svg>
                    <h1 class="product">"Gatehouse"</h1>
                </div>
                <Suspense fallback=|| ()>
                    {Suspend::new(async move {
                        get_sign_in_info().await.ok().map(|info| view! {
                            <p class="org-line">"Sign in to " <strong>{info.org_name}</strong></p>
                            {info.dev_idp.then(|| view! {
                                <p class="notice">
                                    "Development sign-in is enabled: you will pick a demo user on the next page. "
                                    "Do not run this configuration in production."
                                </p>
                            })}
                        })
                    })}
                </Suspense>
                <a class="btn btn-primary btn-wide" rel="external" href=move || urls::saml_login_with_next(&next())>
                    "Sign in with SSO"
                </a>
                <p class="hint">"You will be sent to your company's identity provider and brought back here."</p>
            </section>
        </main>
    }
}
