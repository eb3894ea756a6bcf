use leptos::prelude::*;

/// Keyset paging controls. `pages` is the stack of paging tokens (`None` is the first page);
/// `next` is the token of the page after the one shown, if any.
#[component]
pub fn Pager(
    pages: RwSignal<Vec<Option<String>>>,
    next: Option<String>,
    #[prop(default = "Previous")] previous_label: &'static str,
    #[prop(default = "Next")] next_label: &'static str,
) -> impl IntoView {
    view! {
        <div class="pager">
            <button class="btn btn-small" disabled=move || pages.with(|p| p.len() <= 1)
                on:click=move |_| pages.update(|p| { p.pop(); })>{previous_label}</button>
            {next.map(|token| view! {
                <button class="btn btn-small" on:click=move |_| pages.update(|p| p.push(Some(token.clone())))>{next_label}</button>
            })}
        </div>
    }
}
