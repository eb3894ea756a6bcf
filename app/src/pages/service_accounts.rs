//! Users & IAM → Service accounts (owners): create, list, create an API key (shown once),
//! revoke all keys, delete. Every action is refused on the server for anyone but an owner.
use crate::api::service_accounts::{
    list_service_accounts, CreateApiKey, CreateServiceAccount, DeleteServiceAccount, RevokeAllKeys,
};
use crate::components::dialogs::{ConfirmDialog, NewTokenDialog};
use crate::components::error_box::ErrorBox;
use crate::components::handover::typed_so_far;
use crate::components::iam_tabs::{IamTabs, OwnersOnly};
use crate::components::key_form::{CreateKeyDialog, KeyChoice};
use crate::components::pager::Pager;
use crate::components::table_scroll::TableScroll;
use crate::components::toast::{count, say};
use crate::error::AppError;
use crate::model::{check_service_account_name, format_timestamp, Me, Role, ServiceAccountInfo};
use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone)]
enum Pending {
    RevokeAll(ServiceAccountInfo),
    Delete(ServiceAccountInfo),
}

#[component]
pub fn ServiceAccountsPage() -> impl IntoView {
    let is_owner = use_context::<Me>().is_some_and(|m| m.role == Role::Owner);
    view! {
        <Title text="Service accounts" />
        <h1>"Users & IAM"</h1>
        <IamTabs active="/iam/service-accounts" />
        {if is_owner {
            view! { <ServiceAccountsManager /> }.into_any()
        } else {
            view! { <OwnersOnly what="Service accounts" /> }.into_any()
        }}
    }
}

#[island(lazy)]
fn ServiceAccountsManager() -> impl IntoView {
    let create = ServerAction::<CreateServiceAccount>::new();
    let create_key = ServerAction::<CreateApiKey>::new();
    let revoke_all = ServerAction::<RevokeAllKeys>::new();
    let delete = ServerAction::<DeleteServiceAccount>::new();
    let pages = RwSignal::new(vec![None::<String>]);
    let accounts = crate::wire::resource(
        move || {
            (
                pages.get().last().cloned().flatten(),
                create.version().get(),
                create_key.version().get(),
                revoke_all.version().get(),
                delete.version().get(),
            )
        },
        |(token, ..)| list_service_accounts(token),
    );
    let name = RwSignal::new(typed_so_far("sa-name"));
    let role = RwSignal::new(Role::Collaborator);
    let touched = RwSignal::new(false);
    let name_problem = move || {
        if !touched.get() {
            return None;
        }
        check_service_account_name(&name.get())
            .err()
            .map(|why| format!("Name {why}."))
    };
    let pending = RwSignal::new(None::<Pending>);
    let new_key = create_key.value();
    let key_for = RwSignal::new(String::new());
    let creating_for = RwSignal::new(None::<ServiceAccountInfo>);
    // The outcome of the latest action decides what error shows: the next action clears it.
    let action_error = RwSignal::new(None::<AppError>);
    // A refused name (taken, say) is shown on the field, and what was typed is kept.
    let name_error = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(result) = create.value().get() {
            match result {
                Ok(account) => {
                    say(format!("Created {}.", account.email));
                    name.set(String::new());
                    role.set(Role::Collaborator);
                    touched.set(false);
                    name_error.set(None);
                    action_error.set(None);
                }
                Err(AppError::Conflict(message)) => {
                    name_error.set(Some(message));
                    action_error.set(None);
                }
                Err(error) => action_error.set(Some(error)),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(result) = new_key.get() {
            action_error.set(result.err());
        }
    });
    Effect::new(move |_| {
        if let Some(result) = revoke_all.value().get() {
            if let Ok(n) = &result {
                say(format!("{} revoked.", count(*n, "key", "keys")));
            }
            action_error.set(result.err());
        }
    });
    Effect::new(move |_| {
        if let Some(result) = delete.value().get() {
            if result.is_ok() {
                say("Service account deleted; its keys no longer work.");
            }
            action_error.set(result.err());
        }
    });

    view! {
        <section class="card">
            <h2>"Create a service account"</h2>
            <form method="dialog" class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                touched.set(true);
                if check_service_account_name(&name.get_untracked()).is_ok() {
                    create.dispatch(CreateServiceAccount { name: name.get_untracked(), role: Some(role.get_untracked()) });
                }
            }>
                <label for="sa-name">"Name"</label>
                <input id="sa-name" type="text" maxlength="63" placeholder="e.g. etl-prod" autocomplete="off"
                    aria-invalid=move || (name_problem().is_some() || name_error.get().is_some()).to_string()
                    prop:value=move || name.get()
                    on:input=move |ev| { name.set(event_target_value(&ev)); touched.set(true); name_error.set(None); } />
                <label for="sa-role">"Role"</label>
                <select id="sa-role" prop:value=move || role.get().as_str() on:change=move |ev| {
                    role.set(if event_target_value(&ev) == "owner" { Role::Owner } else { Role::Collaborator })
                }>
                    <option value="collaborator" selected=true>"collaborator"</option>
                    <option value="owner">"owner"</option>
                </select>
                <button class="btn btn-primary" type="submit" disabled=move || create.pending().get()>"Create service account"</button>
            </form>
            <p class="field-error" data-testid="name-problem">{move || name_problem().or_else(|| name_error.get())}</p>
            <p class="hint">"Lowercase letters, digits and hyphens, starting with a letter; at most 63 characters."</p>
        </section>
        {move || action_error.get().map(|error| view! { <ErrorBox error /> })}
        <section class="card">
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Ok(page) if page.results.is_empty() && pages.with_untracked(|p| p.len() == 1) => EitherOf3::A(view! {
                            <div class="empty" data-testid="no-service-accounts">
                                <h2>"No service accounts yet"</h2>
                                <p>"A service account is an identity for a production integration — a CI pipeline, a scheduler, \
                                    a model-serving job — that calls the API with its own keys instead of a person's credentials. \
                                    Its keys keep working when people leave, and you can revoke them without touching anyone's login."</p>
                            </div>
                        }),
                        Ok(page) => {
                            let next = page.next_paging_token.clone();
                            EitherOf3::B(view! {
                                <TableScroll label="Service accounts"><table class="table" data-testid="service-account-table">
                                    <thead><tr>
                                        <th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Active keys"</th><th>"Created"</th><th class="actions">"Actions"</th>
                                    </tr></thead>
                                    <tbody>
                                        {page.results.into_iter().map(|a| {
                                            let (a1, a2, a3) = (a.clone(), a.clone(), a.clone());
                                            view! {
                                                <tr data-name=a.name.clone()>
                                                    <td><strong>{a.name.clone()}</strong></td>
                                                    <td><code>{a.email.clone()}</code></td>
                                                    <td><span class=if a.role == Role::Owner { "badge badge-owner" } else { "badge" }>{a.role.as_str()}</span></td>
                                                    <td data-testid="active-keys">
                                                        <a href=crate::urls::api_keys_for(&a.email)
                                                            title="See these keys">{a.active_keys}</a>
                                                    </td>
                                                    <td>{format_timestamp(a.created_at)}<br/><span class="hint">{a.created_by.clone()}</span></td>
                                                    <td class="actions">
                                                        <button class="btn btn-small" on:click=move |_| creating_for.set(Some(a1.clone()))>"Create API key"</button>
                                                        <button class="btn btn-small" disabled=a.active_keys == 0
                                                            on:click=move |_| pending.set(Some(Pending::RevokeAll(a2.clone())))>"Revoke all keys"</button>
                                                        <button class="btn btn-small btn-danger-quiet"
                                                            on:click=move |_| pending.set(Some(Pending::Delete(a3.clone())))>"Delete"</button>
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
        {move || pending.get().map(|p| {
            let (title, message, label) = match &p {
                Pending::RevokeAll(a) => (
                    format!("Revoke all keys of {}?", a.name),
                    if a.active_keys == 1 {
                        format!("The one active key of {} stops working immediately, everywhere it is used.", a.email)
                    } else {
                        format!("All {} active keys of {} stop working immediately, everywhere they are used.", a.active_keys, a.email)
                    },
                    "Revoke all keys".to_string(),
                ),
                Pending::Delete(a) => (
                    format!("Delete {}?", a.name),
                    format!("{} and all its keys are removed now. A new account with the same name would be a different identity; old keys stay dead.", a.email),
                    format!("Delete {}", a.name),
                ),
            };
            let p2 = p.clone();
            view! {
                <ConfirmDialog title message confirm_label=label
                    on_confirm=Callback::new(move |_| {
                        pending.set(None);
                        match p2.clone() {
                            Pending::RevokeAll(a) => { revoke_all.dispatch(RevokeAllKeys { account: a.id }); }
                            Pending::Delete(a) => { delete.dispatch(DeleteServiceAccount { account: a.id }); }
                        }
                    })
                    on_cancel=Callback::new(move |_| pending.set(None)) />
            }
        })}
        {move || creating_for.get().map(|account| {
            let heading = format!("New API key for {}", account.name);
            view! {
                <CreateKeyDialog heading default_expiry="never"
                    on_create=Callback::new(move |choice: KeyChoice| {
                        creating_for.set(None);
                        key_for.set(account.name.clone());
                        create_key.dispatch(CreateApiKey {
                            account: account.id.clone(),
                            name: choice.name,
                            expires_at: choice.expires_at,
                            allowed_cidrs: choice.allowed_cidrs,
                        });
                    })
                    on_cancel=Callback::new(move |_| creating_for.set(None)) />
            }
        })}
        {move || match new_key.get() {
            Some(Ok(token)) => Some(view! {
                <NewTokenDialog token heading=format!("API key for {}", key_for.get_untracked())
                    on_close=Callback::new(move |_| new_key.set(None)) />
            }),
            _ => None,
        }}
    }
}
