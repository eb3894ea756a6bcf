//! Users & IAM → Emergency revoke (owners): revoke every key that matches — created before a
//! time, by a person, of a kind — at once, with a live count and the organization's name typed
//! to confirm. The server re-checks both the role and the name.
use crate::api::service_accounts::{revoke_matching_keys, RevokeMatchingKeys};
use crate::components::error_box::ErrorBox;
use crate::components::handover::{handed_over, typed_so_far};
use crate::components::iam_tabs::{IamTabs, OwnersOnly};
use crate::model::{parse_utc_datetime, KeyKind, Me, Role};
use crate::urls;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn EmergencyRevokePage() -> impl IntoView {
    let is_owner = use_context::<Me>().is_some_and(|m| m.role == Role::Owner);
    view! {
        <Title text="Emergency revoke" />
        <h1>"Users & IAM"</h1>
        <IamTabs active=urls::IAM_EMERGENCY_REVOKE />
        {if is_owner {
            view! { <RevokeForm /> }.into_any()
        } else {
            view! { <OwnersOnly what="Emergency revocation of keys" /> }.into_any()
        }}
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The kind of keys an option of the "Keys" select names.
fn kind_named(value: &str) -> KeyKind {
    match value {
        "user" => KeyKind::User,
        "service_account" => KeyKind::ServiceAccount,
        _ => KeyKind::All,
    }
}

/// The organization's name (what the owner types to confirm) is handed over in
/// `#emergency-revoke`'s attributes.
#[island(lazy)]
fn RevokeForm() -> impl IntoView {
    let org_name = handed_over("emergency-revoke", "org", || {
        use_context::<Me>().map(|m| m.org_name).unwrap_or_default()
    });
    let kind = RwSignal::new(kind_named(&typed_so_far("er-kind")));
    let before = RwSignal::new(typed_so_far("er-before"));
    let by = RwSignal::new(typed_so_far("er-by"));
    let typed = RwSignal::new(typed_so_far("er-confirm"));
    let revoke = ServerAction::<RevokeMatchingKeys>::new();
    let before_unix = move || parse_utc_datetime(&before.get());
    let named_something = move || {
        kind.get() != KeyKind::All || before_unix().is_some() || !by.get().trim().is_empty()
    };
    let preview = crate::wire::resource(
        move || (kind.get(), before_unix(), by.get(), revoke.version().get()),
        move |(kind, before, by, _)| async move {
            if kind == KeyKind::All && before.is_none() && by.trim().is_empty() {
                return Ok(None);
            }
            revoke_matching_keys(before, Some(by), kind, true, None)
                .await
                .map(Some)
        },
    );
    let org_for_check = org_name.clone();
    let confirmed = move || typed.get().trim() == org_for_check;
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        revoke.dispatch(RevokeMatchingKeys {
            created_before: before_unix(),
            created_by: Some(by.get_untracked()),
            kind: kind.get_untracked(),
            dry_run: false,
            confirm_organization: Some(typed.get_untracked()),
        });
        typed.set(String::new());
    };
    view! {
        <section class="card" id="emergency-revoke" data-org=org_name.clone()>
            <h2>"Emergency revoke"</h2>
            <p>"Revoke every live key that matches all of the conditions below — personal CLI tokens and service-account keys alike — in one step. Use it when a laptop is lost, a person leaves in a hurry, or keys made before an incident must die."</p>
            <form method="dialog" class="stacked-form" on:submit=submit>
                <label for="er-kind">"Keys"</label>
                <select id="er-kind" on:change=move |ev| kind.set(kind_named(&event_target_value(&ev)))>
                    <option value="all" selected=true>"All keys"</option>
                    <option value="user">"Personal tokens"</option>
                    <option value="service_account">"Service-account keys"</option>
                </select>
                <label for="er-before">"Created before (UTC, optional)"</label>
                <input id="er-before" type="datetime-local" prop:value=move || before.get()
                    on:input=move |ev| before.set(event_target_value(&ev)) />
                <label for="er-by">"Created by (email, optional)"</label>
                <input id="er-by" type="email" autocomplete="off" prop:value=move || by.get()
                    on:input=move |ev| by.set(event_target_value(&ev)) />
                <p class="preview" aria-live="polite" data-testid="revoke-preview">
                    <Transition fallback=|| "Counting…">
                        {move || Suspend::new(async move {
                            match preview.await {
                                Ok(None) => "Name at least one condition.".to_string(),
                                Ok(Some(n)) => format!("{} match.", plural(n, "live key", "live keys")),
                                Err(e) => e.to_string(),
                            }
                        })}
                    </Transition>
                </p>
                <label for="er-confirm">"Type the organization's name, " <strong>{org_name.clone()}</strong> ", to confirm"</label>
                <input id="er-confirm" type="text" autocomplete="off" prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev)) />
                <div>
                    <button class="btn btn-danger" type="submit"
                        disabled=move || !(confirmed() && named_something()) || revoke.pending().get()>
                        "Revoke matching keys"
                    </button>
                </div>
            </form>
            {move || revoke.value().get().map(|result| match result {
                Ok(n) => Either::Left(view! { <p class="success" role="status" data-testid="revoke-result">{format!("Revoked {}.", plural(n, "key", "keys"))}</p> }),
                Err(error) => Either::Right(view! { <ErrorBox error /> }),
            })}
        </section>
    }
}
