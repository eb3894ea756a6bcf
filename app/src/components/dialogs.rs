//! Dialogs: confirm before a destructive action; show a new token exactly once. Every dialog is
//! modal for the keyboard too ([`modal_keys`]): focus moves into it, Tab stays inside, Escape
//! cancels, and focus returns to the control that opened it.
use crate::model::NewToken;
use leptos::html::Div;
use leptos::prelude::*;

/// What can take focus inside a dialog.
#[cfg(feature = "hydrate")]
const FOCUSABLE: &str =
    "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href]";

#[cfg(feature = "hydrate")]
fn focusables(dialog: &web_sys::HtmlElement) -> Vec<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast as _;
    let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        .collect()
}

/// Keyboard behaviour of a modal dialog whose element is `dialog`: on open, focus goes to its
/// first field, else its first button (Cancel, in a confirmation: Enter never confirms by
/// accident); Tab and Shift+Tab cycle inside it; Escape runs `on_cancel`; when it
/// closes, focus goes back to where it was. Returns the dialog's keydown handler.
pub fn modal_keys(
    dialog: NodeRef<Div>,
    on_cancel: Callback<()>,
) -> impl Fn(leptos::ev::KeyboardEvent) + Clone + 'static {
    // Only the browser moves focus; the server renders the same markup.
    #[cfg(not(feature = "hydrate"))]
    let _ = dialog;
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast as _;
        let previous = send_wrapper::SendWrapper::new(
            document()
                .active_element()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
        );
        Effect::new(move |_| {
            if let Some(dialog) = dialog.get() {
                let all = focusables(&dialog);
                let first_field = all
                    .iter()
                    .find(|e| matches!(e.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA"))
                    .or_else(|| all.first());
                if let Some(target) = first_field {
                    let _ = target.focus();
                }
            }
        });
        on_cleanup(move || {
            if let Some(element) = previous.take() {
                let _ = element.focus();
            }
        });
    }
    move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "Escape" => {
            ev.prevent_default();
            on_cancel.run(());
        }
        "Tab" =>
        {
            #[cfg(feature = "hydrate")]
            if let Some(dialog) = dialog.get_untracked() {
                let all = focusables(&dialog);
                let active = document().active_element();
                let at = |e: Option<&web_sys::HtmlElement>| {
                    e.zip(active.as_ref())
                        .is_some_and(|(e, a)| AsRef::<web_sys::Element>::as_ref(e) == a)
                };
                if ev.shift_key() && at(all.first()) {
                    ev.prevent_default();
                    if let Some(last) = all.last() {
                        let _ = last.focus();
                    }
                } else if !ev.shift_key() && at(all.last()) {
                    ev.prevent_default();
                    if let Some(first) = all.first() {
                        let _ = first.focus();
                    }
                }
            }
        }
        _ => {}
    }
}

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
    let dialog = NodeRef::<Div>::new();
    let keys = modal_keys(dialog, on_cancel);
    view! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title"
                node_ref=dialog on:keydown=keys>
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

/// Copies the text of the element with id `target_id` to the clipboard; where the browser
/// offers no clipboard (plain http beyond this machine), selects that text instead. Returns
/// whether it copied.
pub fn copy_or_select(target_id: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else {
            return false;
        };
        let text = window
            .document()
            .and_then(|d| d.get_element_by_id(target_id))
            .and_then(|e| e.text_content())
            .unwrap_or_default();
        let navigator = window.navigator();
        let has_clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())
            .map(|v| !v.is_undefined() && !v.is_null())
            .unwrap_or(false);
        if has_clipboard && window.is_secure_context() {
            let _ = navigator.clipboard().write_text(&text);
            return true;
        }
        if let (Some(document), Ok(Some(selection))) = (window.document(), window.get_selection()) {
            if let (Some(element), Ok(range)) = (
                document.get_element_by_id(target_id),
                document.create_range(),
            ) {
                let _ = range.select_node_contents(&element);
                let _ = selection.remove_all_ranges();
                let _ = selection.add_range(&range);
            }
        }
        false
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = target_id;
        false
    }
}

/// A copy button for the text of the element `target_id`: "Copied" when it worked; without a
/// clipboard, the text is selected and the user told to press Ctrl+C.
#[component]
pub fn CopyButton(
    target_id: &'static str,
    #[prop(into, default = "Copy".to_string())] label: String,
    #[prop(optional)] quiet: bool,
) -> impl IntoView {
    let outcome = RwSignal::new(None::<bool>);
    view! {
        <button class=if quiet { "btn btn-quiet" } else { "btn" }
            on:click=move |_| outcome.set(Some(copy_or_select(target_id)))>
            {move || if outcome.get() == Some(true) { "Copied".to_string() } else { label.clone() }}
        </button>
        {move || (outcome.get() == Some(false)).then(|| view! {
            <span class="hint copy-hint" role="status">"Selected — press Ctrl+C (⌘C on a Mac) to copy."</span>
        })}
    }
}

/// Shows a newly issued token once, with a copy button and the shell line to use it. After
/// `on_close` the token is gone from the page for good.
#[component]
pub fn NewTokenDialog(
    token: NewToken,
    #[prop(into)] heading: String,
    on_close: Callback<()>,
) -> impl IntoView {
    let export_line = format!("export GATEHOUSE_CLI_TOKEN={}", token.token);
    let dialog = NodeRef::<Div>::new();
    let keys = modal_keys(dialog, on_close);
    view! {
        <div class="modal-backdrop">
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="token-title"
                node_ref=dialog on:keydown=keys>
                <h2 id="token-title">{heading}</h2>
                <p>
                    "Copy it now: this is the only time it is shown. Gatehouse keeps only a hash; "
                    "afterwards it is identified by its last six characters — record them: "
                    <code class="nowrap" data-testid="last-six">"…"{token.info.last_six.clone()}</code>"."
                </p>
                <div class="secret-row">
                    <code class="secret" id="new-token-secret" data-testid="new-token">{token.token.clone()}</code>
                    <CopyButton target_id="new-token-secret" />
                </div>
                <p class="hint">"To use it with the CLI:"</p>
                <div class="secret-row">
                    <code class="secret" id="new-token-export" data-testid="export-line">{export_line}</code>
                    <CopyButton target_id="new-token-export" label="Copy line" quiet=true />
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
