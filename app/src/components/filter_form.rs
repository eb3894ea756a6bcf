use crate::components::handover::typed_so_far;
use leptos::prelude::*;

/// A one-field search form over a keyset-paged list. Submitting sets `filter` (trimmed) and
/// goes back to the first page; "Clear" appears while a filter is applied.
#[component]
pub fn FilterForm(
    /// The applied filter; the list's resource reads it.
    filter: RwSignal<String>,
    /// The list's paging stack, reset to the first page on every change of filter.
    pages: RwSignal<Vec<Option<String>>>,
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
) -> impl IntoView {
    // What was typed before the island hydrated, else the filter applied (`?email=`, say).
    let typed = RwSignal::new(
        Some(typed_so_far(id))
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| filter.get_untracked()),
    );
    let apply = move |value: String| {
        filter.set(value);
        pages.set(vec![None]);
    };
    view! {
        <form method="dialog" class="inline-form" role="search" on:submit=move |ev| {
            ev.prevent_default();
            apply(typed.get_untracked().trim().to_string());
        }>
            <label for=id>{label}</label>
            // `value` for the server's HTML (a `?email=` link shows its filter before hydration);
            // `prop:value` keeps the field in step with the state afterwards.
            <input id=id type="search" placeholder=placeholder value=typed.get_untracked()
                prop:value=move || typed.get()
                on:input=move |ev| typed.set(event_target_value(&ev)) />
            <button class="btn" type="submit">"Filter"</button>
            {move || (!filter.get().is_empty()).then(|| view! {
                <button class="btn btn-quiet" type="button" on:click=move |_| {
                    typed.set(String::new());
                    apply(String::new());
                }>"Clear"</button>
            })}
        </form>
    }
}
