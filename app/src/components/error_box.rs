use crate::error::AppError;
use leptos::prelude::*;

/// A plain-language error message. Our own failures say so (with the request id); refusals
/// and bad input just say what is wrong.
#[component]
pub fn ErrorBox(error: AppError) -> impl IntoView {
    let ours = matches!(error, AppError::Internal { .. } | AppError::Transport(_));
    view! {
        <div class="error-box" role="alert">
            {ours.then(|| view! { <strong>"Something went wrong. "</strong> })}
            {error.to_string()}
        </div>
    }
}
