//! Credentials: the signed-in member's personal CLI tokens.
use crate::api::credentials::{
    get_token_policy, list_my_tokens, CreateMyToken, RevokeAllMyCredentials, SignOutEverywhere,
};
use crate::components::dialogs::{ConfirmDialog, NewTokenDialog};
use crate::components::error_box::ErrorBox;
use crate::components::handover::typed_so_far;
use crate::components::key_form::expiry_from_choice;
use crate::components::table_scroll::TableScroll;
use crate::model::{expiry_text, format_timestamp, now_unix};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;

/// The expiry choices offered (days, or a date), within the organisation's maximum when there
/// is one (a date past it is refused by the server, with the maximum in the message).
fn expiry_choices(max_days: Option<i64>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if max_days.is_none() {
        out.push(("never".to_string(), "Never".to_string()));
    }
    for d in [7, 30, 90, 365] {
        if max_days.is_none_or(|m| d <= m) {
            out.push((d.to_string(), format!("In {d} days")));
        }
    }
    if let Some(m) = max_days.filter(|m| ![7, 30, 90, 365].contains(m)) {
        out.push((m.to_string(), format!("In {m} days (the maximum)")));
    }
    out.push(("date".to_string(), "On a date…".to_string()));
    out
}

#[component]
pub fn CredentialsPage() -> impl IntoView {
    view! {
        <Title text="Credentials" />
        <h1>"Credentials"</h1>
        <CredentialsManager />
    }
}

/// Your tokens and what you do with them (an island: it lists again after an action).
#[island(lazy)]
fn CredentialsManager() -> impl IntoView {
    let create = ServerAction::<CreateMyToken>::new();
    let revoke_all = ServerAction::<RevokeAllMyCredentials>::new();
    let tokens = crate::wire::resource(
        move || (create.version().get(), revoke_all.version().get()),
        |_| list_my_tokens(),
    );
    let name = RwSignal::new(typed_so_far("token-name"));
    let expiry = RwSignal::new(String::new());
    let date = RwSignal::new(String::new());
    // What is wrong with the expiry choice (a date in the past, say); cleared by the next try.
    let expiry_problem = RwSignal::new(None::<String>);
    let policy = crate::wire::resource(|| (), |_| get_token_policy());
    let confirming = RwSignal::new(false);
    let create_value = create.value();
    let revoke_value = revoke_all.value();
    let sign_out_all = ServerAction::<SignOutEverywhere>::new();
    let sign_out_value = sign_out_all.value();
    let confirming_sign_out = RwSignal::new(false);
    // This session ended too: go to the sign-in page with a full load.
    Effect::new(move |_| {
        if let Some(Ok(_)) = sign_out_value.get() {
            #[cfg(feature = "hydrate")]
            let _ = window().location().set_href(crate::urls::SIGN_IN);
        }
    });

    view! {
        <p class="lead">
            "Personal tokens let the " <code>"gatehouse"</code> " CLI and scripts act as you. "
            "Send one as " <code>"Authorization: Bearer …"</code> " or set " <code>"GATEHOUSE_CLI_TOKEN"</code> "."
        </p>

        <section class="card">
            <h2>"Create a token"</h2>
            <form method="dialog" class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                let expires_at = match expiry_from_choice(&expiry.get_untracked(), &date.get_untracked(), now_unix()) {
                    Ok(at) => at,
                    Err(problem) => return expiry_problem.set(Some(problem)),
                };
                expiry_problem.set(None);
                create.dispatch(CreateMyToken { name: Some(name.get_untracked()), expires_at });
                name.set(String::new());
            }>
                <label for="token-name">"Name (optional)"</label>
                <input id="token-name" type="text" maxlength="100" placeholder="e.g. laptop"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="token-expiry">"Expires"</label>
                <Transition fallback=|| view! { <select id="token-expiry" disabled=true><option>"…"</option></select> }>
                    {move || Suspend::new(async move {
                        let max = policy.await.ok().and_then(|p| p.personal_token_max_days);
                        let choices = expiry_choices(max);
                        if expiry.get_untracked().is_empty() || !choices.iter().any(|(v, _)| *v == expiry.get_untracked()) {
                            expiry.set(choices.first().map(|(v, _)| v.clone()).unwrap_or_default());
                        }
                        view! {
                            <select id="token-expiry" prop:value=move || expiry.get()
                                on:change=move |ev| expiry.set(event_target_value(&ev))>
                                {choices.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                            </select>
                            {max.map(|m| view! { <span class="hint">{format!("Your organization limits personal tokens to {m} days.")}</span> })}
                        }
                    })}
                </Transition>
                {move || (expiry.get() == "date").then(|| view! {
                    <label for="token-expiry-date">"Expiry date (UTC)"</label>
                    <input id="token-expiry-date" type="date" prop:value=move || date.get()
                        on:input=move |ev| date.set(event_target_value(&ev)) />
                })}
                <button class="btn btn-primary" type="submit" disabled=move || create.pending().get()>"Create token"</button>
            </form>
            <p class="field-error" role="alert" data-testid="expiry-problem">{move || expiry_problem.get()}</p>
            {move || match create_value.get() {
                Some(Err(error)) => Some(view! { <ErrorBox error /> }),
                _ => None,
            }}
        </section>

        <section class="card">
            <div class="card-head">
                <h2>"Your active tokens"</h2>
                <button class="btn btn-danger-quiet" on:click=move |_| confirming.set(true)>"Revoke all credentials"</button>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => EitherOf3::A(view! {
                            <p class="empty" data-testid="no-tokens">"You have no active tokens. Create one to use the CLI or the API."</p>
                        }),
                        Ok(list) => EitherOf3::B(view! {
                            <TableScroll label="Your tokens"><table class="table" data-testid="token-table">
                                <thead><tr><th>"Name"</th><th>"Token"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|t| view! {
                                        <tr>
                                            <td>{t.name}</td>
                                            <td><code class="nowrap">"…"{t.last_six}</code></td>
                                            <td>{format_timestamp(t.created_at)}</td>
                                            <td data-testid="token-expiry">{expiry_text(t.expires_at, now_unix())}</td>
                                            <td>{t.last_used_at.map(format_timestamp).unwrap_or_else(|| "never".into())}
                                                {t.last_used_ip.map(|ip| view! { <br/><span class="hint">{ip}</span> })}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table></TableScroll>
                        }),
                        Err(error) => EitherOf3::C(view! { <ErrorBox error /> }),
                    }
                })}
            </Transition>
            {move || match revoke_value.get() {
                Some(Err(error)) => Some(view! { <ErrorBox error /> }),
                _ => None,
            }}
        </section>

        <section class="card">
            <div class="card-head">
                <h2>"Browser sessions"</h2>
                <button class="btn btn-danger-quiet" on:click=move |_| confirming_sign_out.set(true)>"Sign out everywhere"</button>
            </div>
            <p class="hint">"Ends every console session you have — on this and every other browser or device. Your tokens keep working."</p>
            {move || match sign_out_value.get() {
                Some(Err(error)) => Some(view! { <ErrorBox error /> }),
                _ => None,
            }}
        </section>

        {move || confirming_sign_out.get().then(|| view! {
            <ConfirmDialog
                title="Sign out everywhere?".to_string()
                message="Every browser session you have ends now, this one included. You will need to sign in again.".to_string()
                confirm_label="Sign out everywhere".to_string()
                on_confirm=Callback::new(move |_| { confirming_sign_out.set(false); sign_out_all.dispatch(SignOutEverywhere {}); })
                on_cancel=Callback::new(move |_| confirming_sign_out.set(false))
            />
        })}

        {move || confirming.get().then(|| view! {
            <ConfirmDialog
                title="Revoke all credentials?".to_string()
                message="Every token you have stops working immediately, everywhere it is used. One new token is issued and shown once.".to_string()
                confirm_label="Revoke all and issue a new token".to_string()
                on_confirm=Callback::new(move |_| { confirming.set(false); revoke_all.dispatch(RevokeAllMyCredentials {}); })
                on_cancel=Callback::new(move |_| confirming.set(false))
            />
        })}
        {move || match create_value.get() {
            Some(Ok(token)) => Some(view! {
                <NewTokenDialog token heading="Your new token" on_close=Callback::new(move |_| create_value.set(None)) />
            }),
            _ => None,
        }}
        {move || match revoke_value.get() {
            Some(Ok(token)) => Some(view! {
                <NewTokenDialog token heading="All credentials revoked — your new token" on_close=Callback::new(move |_| revoke_value.set(None)) />
            }),
            _ => None,
        }}
    }
}

#[cfg(test)]
mod tests {
    use super::expiry_choices;

    #[test]
    fn the_maximum_limits_the_choices() {
        let values = |m| {
            expiry_choices(m)
                .into_iter()
                .map(|(v, _)| v)
                .collect::<Vec<_>>()
        };
        assert_eq!(values(None), ["never", "7", "30", "90", "365", "date"]);
        assert_eq!(values(Some(30)), ["7", "30", "date"]);
        assert_eq!(values(Some(45)), ["7", "30", "45", "date"]);
    }
}
