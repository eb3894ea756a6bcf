//! A wide table on a narrow screen: the table scrolls sideways inside its own region (the page
//! itself never does), the region takes keyboard focus so arrow keys scroll it, and on narrow
//! screens a hint says there is more to the right.

use leptos::prelude::*;

/// Wraps a `<table>`; `label` names the region for screen readers ("Service accounts").
#[component]
pub fn TableScroll(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <p class="scroll-hint" aria-hidden="true">"Scroll sideways to see every column →"</p>
        <div class="table-scroll" role="region" aria-label=label tabindex="0">
            {children()}
        </div>
    }
}
