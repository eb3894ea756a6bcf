//! Users & IAM → Audit log (owners): who did what to whom, newest first.
use crate::api::service_accounts::list_audit;
use crate::components::error_box::ErrorBox;
use crate::components::iam_tabs::{IamTabs, OwnersOnly};
use crate::components::pager::Pager;
use crate::components::table_scroll::TableScroll;
use crate::model::{format_timestamp, Me, Role};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AuditPage() -> impl IntoView {
    let is_owner = use_context::<Me>().is_some_and(|m| m.role == Role::Owner);
    view! {
        <Title text="Audit log" />
        <h1>"Users & IAM"</h1>
        <IamTabs active="/iam/audit" />
        {if is_owner { view! { <AuditLog /> }.into_any() } else { view! { <OwnersOnly what="The audit log and its entries" /> }.into_any() }}
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let filter_input = RwSignal::new(String::new());
    let filter = RwSignal::new(String::new());
    let pages = RwSignal::new(vec![None::<String>]);
    let rows = crate::wire::resource(
        move || (filter.get(), pages.get().last().cloned().flatten()),
        |(email, token)| list_audit(Some(email), token),
    );
    view! {
        <section class="card">
            <form class="inline-form" role="search" on:submit=move |ev| {
                ev.prevent_default();
                filter.set(filter_input.get_untracked().trim().to_string());
                pages.set(vec![None]);
            }>
                <label for="audit-filter">"Actor or target email"</label>
                <input id="audit-filter" type="search" placeholder="prefix" prop:value=move || filter_input.get()
                    on:input=move |ev| filter_input.set(event_target_value(&ev)) />
                <button class="btn" type="submit">"Filter"</button>
            </form>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(page) if page.results.is_empty() => view! { <p class="empty">"Nothing recorded yet."</p> }.into_any(),
                        Ok(page) => {
                            let next = page.next_paging_token.clone();
                            view! {
                                <TableScroll label="Audit log"><table class="table" data-testid="audit-table">
                                    <thead><tr><th>"Time"</th><th>"Actor"</th><th>"Action"</th><th>"Target"</th><th>"Detail"</th><th>"Source IP"</th><th>"Request id"</th></tr></thead>
                                    <tbody>
                                        {page.results.into_iter().map(|e| view! {
                                            <tr>
                                                <td>{format_timestamp(e.at)}</td>
                                                <td>{e.actor}{e.actor_token.map(|t| view! { <br/><span class="hint">"key …"{t}</span> })}</td>
                                                <td><code>{e.action}</code></td>
                                                <td>{e.target.unwrap_or_default()}</td>
                                                <td>{e.detail.unwrap_or_default()}</td>
                                                <td class="hint">{e.source_ip.unwrap_or_default()}</td>
                                                <td class="hint"><code class="request-id">{e.request_id.unwrap_or_default()}</code></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table></TableScroll>
                                <Pager pages next previous_label="Newer" next_label="Older" />
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorBox error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
