//! A wide table on a narrow screen: the table scrolls sideways inside its own region (the page
//! itself never does), the region takes keyboard focus so arrow keys scroll it, and on narrow
//! screens a hint says there is more to the right.

use leptos::prelude::*;

/// Wraps a `<table>`; `label` names the region for screen readers ("Service accounts"). The
/// children keep their type (no `AnyView`): erased, every table would carry code the islands
/// never run (asynchronous hydration) in the WASM.
#[component]
pub fn TableScroll<C: IntoView + 'static>(
    label: &'static str,
    children: TypedChildren<C>,
) -> impl IntoView {
    view! {
        <p class="scroll-hint" aria-hidden="true">"Scroll sideways to see every column →"</p>
        <div class="table-scroll" role="region" aria-label=label tabindex="0">
            {children.into_inner()()}
        </div>
    }
}
