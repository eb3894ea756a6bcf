//! Users & IAM → API keys (owners): every active key of the organization, filterable by
//! service-account email (exact or prefix) or by staleness, each revocable on its own; a
//! service-account key can be rotated with an overlap. Keyset-paged.

/// Keys unused this long are highlighted (and what the stale filter shows).
const STALE_DAYS: u32 = 90;
use crate::api::credentials::{get_token_policy, SetTokenPolicy};
use crate::api::service_accounts::{list_api_keys, RevokeApiKey, RotateApiKey};
use crate::components::dialogs::{ConfirmDialog, NewTokenDialog};
use crate::components::error_box::ErrorBox;
use crate::components::filter_form::FilterForm;
use crate::components::handover::handed_over;
use crate::components::iam_tabs::{IamTabs, OwnersOnly};
use crate::components::pager::Pager;
use crate::components::table_scroll::TableScroll;
use crate::model::{expiry_text, format_timestamp, now_unix, ApiKeyInfo, Me, Role};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let is_owner = use_context::<Me>().is_some_and(|m| m.role == Role::Owner);
    view! {
        <Title text="API keys" />
        <h1>"Users & IAM"</h1>
        <IamTabs active="/iam/api-keys" />
        {if is_owner { view! { <ApiKeysManager /> }.into_any() } else { view! { <OwnersOnly what="API keys" /> }.into_any() }}
    }
}

/// `?email=` (a service account's row links here) pre-fills the filter; it is handed over in
/// `#api-keys`' attributes.
#[island(lazy)]
fn ApiKeysManager() -> impl IntoView {
    let email = handed_over("api-keys", "email", || {
        leptos_router::hooks::use_query_map()
            .with_untracked(|q| q.get("email"))
            .unwrap_or_default()
    });
    let revoke = ServerAction::<RevokeApiKey>::new();
    let rotate = ServerAction::<RotateApiKey>::new();
    let filter = RwSignal::new(email.clone());
    let stale_only = RwSignal::new(false);
    let pages = RwSignal::new(vec![None::<String>]);
    let keys = crate::wire::resource(
        move || {
            (
                filter.get(),
                pages.get().last().cloned().flatten(),
                stale_only.get(),
                revoke.version().get(),
                rotate.version().get(),
            )
        },
        |(email, token, stale, _, _)| {
            list_api_keys(Some(email), token, stale.then_some(STALE_DAYS))
        },
    );
    let pending = RwSignal::new(None::<ApiKeyInfo>);
    let rotating = RwSignal::new(None::<ApiKeyInfo>);
    let grace = RwSignal::new("86400".to_string());
    let rotated = rotate.value();
    let now = now_unix();
    Effect::new(move |_| {
        if let Some(Ok(())) = revoke.value().get() {
            crate::components::toast::say("Key revoked; it no longer works.");
        }
    });
    view! {
        <section class="card" id="api-keys" data-email=email>
            <FilterForm filter pages id="key-filter" label="Service account email"
                placeholder="exact or prefix, e.g. etl-" />
            <label class="check">
                <input type="checkbox" prop:checked=move || stale_only.get()
                    on:change=move |ev| { stale_only.set(event_target_checked(&ev)); pages.set(vec![None]); } />
                {format!(" Only keys unused for {STALE_DAYS} days or more")}
            </label>
            {move || revoke.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error /> })}
            {move || rotate.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error /> })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(page) if page.results.is_empty() => EitherOf3::A(view! {
                            <p class="empty" data-testid="no-keys">
                                {if filter.get_untracked().is_empty() { "No active keys." } else { "No active keys for that service account." }}
                            </p>
                        }),
                        Ok(page) => {
                            let next = page.next_paging_token.clone();
                            EitherOf3::B(view! {
                                <TableScroll label="API keys"><table class="table" data-testid="key-table">
                                    <thead><tr>
                                        <th>"Owner"</th><th>"Key"</th><th>"Name"</th><th>"Created"</th><th>"Expires"</th><th>"Last used"</th><th class="actions">"Actions"</th>
                                    </tr></thead>
                                    <tbody>
                                        {page.results.into_iter().map(|k| {
                                            let (k2, k3) = (k.clone(), k.clone());
                                            let unused_since = k.last_used_at.unwrap_or(k.created_at);
                                            let stale = now - unused_since >= i64::from(STALE_DAYS) * 86_400;
                                            let expired = k.expires_at.is_some_and(|at| at <= now);
                                            view! {
                                                <tr data-key=k.last_six.clone() class:stale=stale>
                                                    <td>{k.owner_email.clone().unwrap_or_else(|| "(deleted)".into())}
                                                        {(k.owner_kind == "user").then(|| view! { <span class="badge">"person"</span> })}</td>
                                                    <td><code class="nowrap">"…"{k.last_six.clone()}</code></td>
                                                    <td>{k.name.clone()}
                                                        {(!k.allowed_cidrs.is_empty()).then(|| view! { <br/><span class="hint">"from "{k.allowed_cidrs.join(", ")}</span> })}</td>
                                                    <td>{format_timestamp(k.created_at)}<br/><span class="hint">{k.created_by.clone().unwrap_or_default()}</span></td>
                                                    <td class:warning-text=expired data-testid="key-expiry">{expiry_text(k.expires_at, now)}</td>
                                                    <td>{k.last_used_at.map(format_timestamp).unwrap_or_else(|| "never".into())}
                                                        {k.last_used_ip.clone().map(|ip| view! { <br/><span class="hint">{ip}</span> })}
                                                        {k.last_used_user_agent.clone().map(|ua| view! { <br/><span class="hint ua">{ua}</span> })}
                                                        {stale.then(|| view! { <br/><span class="badge badge-stale">{format!("unused {STALE_DAYS}+ days")}</span> })}</td>
                                                    <td class="actions">
                                                        {(k.owner_kind == "service_account").then(|| view! {
                                                            <button class="btn btn-small" on:click=move |_| rotating.set(Some(k3.clone()))>"Rotate"</button>
                                                        })}
                                                        <button class="btn btn-small btn-danger-quiet" on:click=move |_| pending.set(Some(k2.clone()))>"Revoke"</button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></TableScroll>
                                <Pager pages next />
                            })
                        }
                        Err(error) => EitherOf3::C(view! { <ErrorBox error /> }),
                    }
                })}
            </Transition>
        </section>
        {move || rotating.get().map(|k| {
            let id = k.id.clone();
            view! {
                <ConfirmDialog
                    title=format!("Rotate key …{}?", k.last_six)
                    message=format!("A new key for {} is created now and shown once. The old key keeps working for the overlap you choose, then expires.", k.owner_email.clone().unwrap_or_default())
                    confirm_label="Rotate key".to_string()
                    on_confirm=Callback::new(move |_| {
                        rotating.set(None);
                        let grace_seconds = grace.get_untracked().parse().unwrap_or(0);
                        rotate.dispatch(RotateApiKey { key_id: id.clone(), grace_seconds });
                    })
                    on_cancel=Callback::new(move |_| rotating.set(None))>
                    <label for="rotate-grace">"The old key keeps working for"</label>
                    <select id="rotate-grace" prop:value=move || grace.get() on:change=move |ev| grace.set(event_target_value(&ev))>
                        <option value="0">"No overlap (stops now)"</option>
                        <option value="3600">"1 hour"</option>
                        <option value="86400">"24 hours"</option>
                        <option value="604800">"7 days"</option>
                    </select>
                </ConfirmDialog>
            }
        })}
        {move || match rotated.get() {
            Some(Ok(token)) => Some(view! {
                <NewTokenDialog token heading="Rotated key" on_close=Callback::new(move |_| rotated.set(None)) />
            }),
            _ => None,
        }}
        {move || pending.get().map(|k| {
            let id = k.id.clone();
            view! {
                <ConfirmDialog
                    title=format!("Revoke key …{}?", k.last_six)
                    message=format!("The key of {} stops working immediately.", k.owner_email.clone().unwrap_or_default())
                    confirm_label="Revoke key".to_string()
                    on_confirm=Callback::new(move |_| { pending.set(None); revoke.dispatch(RevokeApiKey { key_id: id.clone() }); })
                    on_cancel=Callback::new(move |_| pending.set(None)) />
            }
        })}
        <TokenPolicyCard />
    }
}

/// Owners: the longest a personal token may live (empty: no maximum).
#[component]
fn TokenPolicyCard() -> impl IntoView {
    let save = ServerAction::<SetTokenPolicy>::new();
    let policy = crate::wire::resource(move || save.version().get(), |_| get_token_policy());
    let days = RwSignal::new(String::new());
    view! {
        <section class="card">
            <h2>"Personal token lifetime"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match policy.await {
                        Ok(p) if p.set_by_configuration => EitherOf3::A(view! {
                            <p data-testid="token-policy">{format!(
                                "Personal tokens expire within {} days (set by GATEHOUSE_PERSONAL_TOKEN_MAX_DAYS).",
                                p.personal_token_max_days.unwrap_or_default()
                            )}</p>
                        }),
                        Ok(p) => {
                            days.set(p.personal_token_max_days.map(|d| d.to_string()).unwrap_or_default());
                            EitherOf3::B(view! {
                                <p data-testid="token-policy">{match p.personal_token_max_days {
                                    Some(d) => format!("Personal tokens must expire within {d} days."),
                                    None => "Personal tokens may live forever.".to_string(),
                                }}</p>
                                <form method="dialog" class="inline-form" on:submit=move |ev| {
                                    ev.prevent_default();
                                    let text = days.get_untracked();
                                    let max_days = text.trim().parse::<i64>().ok();
                                    save.dispatch(SetTokenPolicy { max_days });
                                }>
                                    <label for="token-max-days">"Maximum days (empty: none)"</label>
                                    <input id="token-max-days" type="number" min="1" max="3650" prop:value=move || days.get()
                                        on:input=move |ev| days.set(event_target_value(&ev)) />
                                    <button class="btn" type="submit">"Save"</button>
                                </form>
                                <p class="hint">"Applies to tokens created from now on; existing tokens keep their expiry."</p>
                            })
                        }
                        Err(error) => EitherOf3::C(view! { <ErrorBox error /> }),
                    }
                })}
            </Transition>
            {move || save.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error /> })}
        </section>
    }
}
