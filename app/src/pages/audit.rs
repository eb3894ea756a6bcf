//! Users & IAM → Audit log (owners): who did what to whom, newest first.
//!
//! A document, not an application: the filter and the page are in the address (`?email=` and
//! `?pages=`, so a filtered view can be bookmarked or sent to a colleague), the filter is a
//! plain GET form and "Older"/"Newer" are links. Nothing here needs the WASM bundle, so the
//! server sends this page without it (`app::has_islands`): a first visit downloads none.
use crate::api::service_accounts::list_audit;
use crate::components::error_box::ErrorBox;
use crate::components::iam_tabs::{IamTabs, OwnersOnly};
use crate::components::table_scroll::TableScroll;
use crate::model::{format_timestamp, Me, Role};
use crate::urls;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    let is_owner = use_context::<Me>().is_some_and(|m| m.role == Role::Owner);
    view! {
        <Title text="Audit log" />
        <h1>"Users & IAM"</h1>
        <IamTabs active=urls::IAM_AUDIT />
        {if is_owner { view! { <AuditLog /> }.into_any() } else { view! { <OwnersOnly what="The audit log and its entries" /> }.into_any() }}
    }
}

/// Where the audit log is, as seen in the address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditView {
    /// The actor-or-target email prefix, trimmed; empty for everything.
    pub email: String,
    /// The paging tokens of the pages gone through, oldest last: the page shown is the one
    /// after the last (none: the newest page). Kept whole so "Newer" can go back one.
    pub pages: Vec<String>,
}

impl AuditView {
    /// From the `email` and `pages` query parameters (`pages` is comma-separated; the tokens
    /// are hex). What the server makes of a token is its business: a forged one is refused.
    pub fn from_query(email: Option<String>, pages: Option<String>) -> Self {
        let pages = pages
            .unwrap_or_default()
            .split(',')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        Self {
            email: email.unwrap_or_default().trim().to_string(),
            pages,
        }
    }

    /// The address of this view.
    pub fn href(&self) -> String {
        let mut query = Vec::new();
        if !self.email.is_empty() {
            query.push(format!("email={}", urls::encode_query_value(&self.email)));
        }
        if !self.pages.is_empty() {
            query.push(format!("pages={}", self.pages.join(",")));
        }
        if query.is_empty() {
            urls::IAM_AUDIT.to_string()
        } else {
            format!("{}?{}", urls::IAM_AUDIT, query.join("&"))
        }
    }

    /// The next older page, whose first row follows `token`.
    pub fn older(&self, token: String) -> Self {
        let mut pages = self.pages.clone();
        pages.push(token);
        Self {
            email: self.email.clone(),
            pages,
        }
    }

    /// The page before this one, if this is not the newest.
    pub fn newer(&self) -> Option<Self> {
        let (_, rest) = self.pages.split_last()?;
        Some(Self {
            email: self.email.clone(),
            pages: rest.to_vec(),
        })
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let here =
        use_query_map().with_untracked(|q| AuditView::from_query(q.get("email"), q.get("pages")));
    let typed = here.email.clone();
    let clear = (!here.email.is_empty()).then(|| {
        view! { <a class="btn btn-quiet" href=urls::IAM_AUDIT>"Clear"</a> }
    });
    let rows = Suspend::new(async move {
        let token = here.pages.last().cloned();
        match list_audit(Some(here.email.clone()), token).await {
            Ok(page) if page.results.is_empty() => {
                view! { <p class="empty">"Nothing recorded yet."</p> }.into_any()
            }
            Ok(page) => {
                let older = page.next_paging_token.map(|token| here.older(token).href());
                let newer = here.newer().map(|view| view.href());
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
                    <nav class="pager" aria-label="Audit log pages">
                        {newer.map(|href| view! { <a class="btn btn-small" href=href>"Newer"</a> })}
                        {older.map(|href| view! { <a class="btn btn-small" href=href>"Older"</a> })}
                    </nav>
                }
                .into_any()
            }
            Err(error) => view! { <ErrorBox error /> }.into_any(),
        }
    });
    view! {
        <section class="card">
            <form class="inline-form" role="search" method="get" action=urls::IAM_AUDIT>
                <label for="audit-filter">"Actor or target email"</label>
                <input id="audit-filter" name="email" type="search" placeholder="prefix" value=typed />
                <button class="btn" type="submit">"Filter"</button>
                {clear}
            </form>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>{rows}</Suspense>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::AuditView;

    #[test]
    fn the_address_holds_the_filter_and_the_pages_gone_through() {
        let newest = AuditView::from_query(None, None);
        assert_eq!(newest.href(), "/iam/audit");
        assert_eq!(newest.newer(), None);

        let filtered =
            AuditView::from_query(Some(" ada+ops@ex ample.com ".into()), Some(",,".into()));
        assert_eq!(filtered.email, "ada+ops@ex ample.com");
        assert!(filtered.pages.is_empty());
        assert_eq!(
            filtered.href(),
            "/iam/audit?email=ada%2Bops%40ex%20ample.com"
        );

        let second = filtered.older("0a1b".into());
        let third = second.older("2c3d".into());
        assert_eq!(
            third.href(),
            "/iam/audit?email=ada%2Bops%40ex%20ample.com&pages=0a1b,2c3d"
        );
        assert_eq!(
            AuditView::from_query(Some(third.email.clone()), Some("0a1b,2c3d".into())),
            third
        );
        assert_eq!(third.newer(), Some(second.clone()));
        assert_eq!(second.newer(), Some(filtered));
    }
}
