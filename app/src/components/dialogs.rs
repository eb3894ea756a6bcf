//! Dialogs: confirm before a destructive action; show a new token exactly once.
use crate::model::NewToken;
use leptos::prelude::*;

/// Asks before doing something that cannot be undone. `on_confirm` runs on the confirm button.
#[component]
pub fn ConfirmDialog(
    title: String,
    message: String,
    confirm_label: String,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    /// Choices that go with the confirmation (a checkbox, say).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
                <h2 id="confirm-title">{title}</h2>
                <p>{message}</p>
                {children.map(|c| c())}
                <div class="modal-actions">
                    <button class="btn" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                    <button class="btn btn-danger" on:click=move |_| on_confirm.run(())>{confirm_label}</button>
                </div>
            </div>
        </div>
    }
}

/// Copies `text` to the clipboard (browser only).
pub fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// Shows a newly issued token once, with a copy button and the shell line to use it. After
/// `on_close` the token is gone from the page for good.
#[component]
pub fn NewTokenDialog(
    token: NewToken,
    #[prop(into)] heading: String,
    on_close: Callback<()>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let secret = token.token.clone();
    let export_line = format!("export GATEHOUSE_CLI_TOKEN={}", token.token);
    let export_copy = export_line.clone();
    view! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="token-title">
                <h2 id="token-title">{heading}</h2>
                <p>
                    "Copy it now: this is the only time it is shown. Gatehouse keeps only a hash; "
                    "afterwards it is identified by its last six characters — record them: "
                    <code>"…"{token.info.last_six.clone()}</code>"."
                </p>
                <div class="secret-row">
                    <code class="secret" data-testid="new-token">{token.token.clone()}</code>
                    <button class="btn" on:click=move |_| { copy_to_clipboard(&secret); copied.set(true); }>
                        {move || if copied.get() { "Copied" } else { "Copy" }}
                    </button>
                </div>
                <p class="hint">"To use it with the CLI:"</p>
                <div class="secret-row">
                    <code class="secret" data-testid="export-line">{export_line}</code>
                    <button class="btn btn-quiet" on:click=move |_| copy_to_clipboard(&export_copy)>"Copy line"</button>
                </div>
                <div class="modal-actions">
                    <button class="btn btn-primary" on:click=move |_| on_close.run(())>
                        "I have copied it — close"
                    </button>
                </div>
            </div>
        </div>
    }
}
