//! The signed-in console frame: header (organization, who you are, sign out) and navigation.
//! The server sends a browser without a session to sign-in before this renders (the page
//! middleware), and hands it the signed-in member. Plain HTML: none of it is an island, so none
//! of it is in the WASM (the user menu is the browser's own popover).
use crate::components::error_box::ErrorBox;
use crate::error::AppError;
use crate::model::{Me, Role};
use crate::urls;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

/// The signed-in member as the page middleware found them for this request.
fn signed_in_member() -> Result<Me, AppError> {
    #[cfg(feature = "ssr")]
    let member = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Me>().cloned());
    // The browser never renders the frame (it is no island).
    #[cfg(not(feature = "ssr"))]
    let member = None;
    member.ok_or(AppError::Unauthorized)
}

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    match signed_in_member() {
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
                {crate::app::rendering_page_with_islands().then(|| view! { <super::toast::ToastRegion /> })}
            }
            .into_any()
        }
        Err(error) => view! { <main class="content"><ErrorBox error /></main> }.into_any(),
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
            <UserMenu me=me.clone() role_class />
        </header>
    }
}

/// Up to two initials for the avatar: "Ada Lovelace" → "AL"; without a name, the email's first letter.
fn initials(display_name: &str, email: &str) -> String {
    let from_name: String = display_name
        .split_whitespace()
        .filter_map(|word| word.chars().next())
        .filter(|c| c.is_alphanumeric())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if from_name.is_empty() {
        email.chars().take(1).flat_map(char::to_uppercase).collect()
    } else {
        from_name
    }
}

/// The user icon: who you are, and the way to Credentials, Users & IAM and Sign out. A native
/// popover (`popovertarget`): a click, Enter or Space opens it; Escape or a click elsewhere
/// closes it, Escape returning focus to the icon — the browser's work, no script of ours.
#[component]
fn UserMenu(me: Me, role_class: &'static str) -> impl IntoView {
    let avatar = initials(&me.display_name, &me.email);
    let label = format!("Account menu for {}", me.email);
    view! {
        <div class="usermenu" data-testid="user-menu">
            <button type="button" class="usermenu-icon" popovertarget=USER_MENU_PANEL aria-label=label>
                <span class="avatar" aria-hidden="true">{avatar}</span>
                <span class="email" data-testid="user-email">{me.email.clone()}</span>
                <span class=role_class data-testid="user-role">{me.role.as_str()}</span>
            </button>
            <div id=USER_MENU_PANEL class="usermenu-panel" popover="auto">
                <p class="usermenu-who">
                    <strong>{me.display_name.clone()}</strong><br/>
                    <span class="hint">{me.email.clone()}</span><br/>
                    <span class="hint">{me.org_name.clone()}</span>
                </p>
                <ul>
                    <li><a href=urls::CREDENTIALS>"Credentials"</a></li>
                    <li><a href=urls::IAM>"Users & IAM"</a></li>
                </ul>
                <form method="post" action=urls::LOGOUT class="signout">
                    <button type="submit" class="btn btn-quiet">"Sign out"</button>
                </form>
            </div>
        </div>
    }
}

/// The id of the user menu's popover, which its icon names.
const USER_MENU_PANEL: &str = "user-menu-panel";

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_come_from_the_name_or_else_the_email() {
        assert_eq!(initials("Ada Lovelace", "ada@example.com"), "AL");
        assert_eq!(
            initials("grace brewster murray hopper", "g@example.com"),
            "GB"
        );
        assert_eq!(initials("Émilie", "e@example.com"), "É");
        assert_eq!(initials("", "alan@example.com"), "A");
        assert_eq!(initials("  ", ""), "");
    }
}
