use crate::error::AppError;
use leptos::prelude::*;

/// A plain-language error message, shown in place of content that could not load.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    view! {
        <div class="error-box" role="alert">
            <strong>"Something went wrong. "</strong>
            {error.to_string()}
        </div>
    }
}
