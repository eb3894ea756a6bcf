//! Users & IAM → API keys (owners): every active key of the organization, filterable by
//! service-account email (exact or prefix), each revocable on its own. Keyset-paged.
use crate::api::service_accounts::{list_api_keys, RevokeApiKey};
use crate::components::dialogs::ConfirmDialog;
use crate::components::error_box::ErrorBox;
use crate::components::filter_form::FilterForm;
use crate::components::iam_tabs::{IamTabs, OwnersOnly};
use crate::components::pager::Pager;
use crate::model::{format_timestamp, ApiKeyInfo, Me, Role};
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

#[component]
fn ApiKeysManager() -> impl IntoView {
    let revoke = ServerAction::<RevokeApiKey>::new();
    let filter = RwSignal::new(String::new());
    let pages = RwSignal::new(vec![None::<String>]);
    let keys = Resource::new(
        move || {
            (
                filter.get(),
                pages.get().last().cloned().flatten(),
                revoke.version().get(),
            )
        },
        |(email, token, _)| list_api_keys(Some(email), token),
    );
    let pending = RwSignal::new(None::<ApiKeyInfo>);
    view! {
        <section class="card">
            <FilterForm filter pages id="key-filter" label="Service account email"
                placeholder="exact or prefix, e.g. etl-" />
            {move || revoke.value().get().and_then(Result::err).map(|error| view! { <ErrorBox error /> })}
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(page) if page.results.is_empty() => view! {
                            <p class="empty" data-testid="no-keys">
                                {if filter.get_untracked().is_empty() { "No active keys." } else { "No active keys for that service account." }}
                            </p>
                        }.into_any(),
                        Ok(page) => {
                            let next = page.next_paging_token.clone();
                            view! {
                                <table class="table" data-testid="key-table">
                                    <thead><tr>
                                        <th>"Owner"</th><th>"Key"</th><th>"Name"</th><th>"Created"</th><th>"Created by"</th><th>"Last used"</th><th class="actions"></th>
                                    </tr></thead>
                                    <tbody>
                                        {page.results.into_iter().map(|k| {
                                            let k2 = k.clone();
                                            view! {
                                                <tr data-key=k.last_six.clone()>
                                                    <td>{k.owner_email.clone().unwrap_or_else(|| "(deleted)".into())}
                                                        {(k.owner_kind == "user").then(|| view! { <span class="badge">"person"</span> })}</td>
                                                    <td><code>"…"{k.last_six.clone()}</code></td>
                                                    <td>{k.name.clone()}</td>
                                                    <td>{format_timestamp(k.created_at)}</td>
                                                    <td>{k.created_by.clone().unwrap_or_default()}</td>
                                                    <td>{k.last_used_at.map(format_timestamp).unwrap_or_else(|| "never".into())}</td>
                                                    <td class="actions">
                                                        <button class="btn btn-small btn-danger-quiet" on:click=move |_| pending.set(Some(k2.clone()))>"Revoke"</button>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                <Pager pages next />
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
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
    }
}
