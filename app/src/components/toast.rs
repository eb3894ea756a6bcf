//! Success feedback: one polite live region at the bottom of the console. A page says what
//! just happened with [`say`]; screen readers announce it, and it fades after a few seconds.
use leptos::prelude::*;

/// The message on show, if any.
#[derive(Clone, Copy)]
pub struct Toast(RwSignal<Option<String>>);

/// Makes the toast available to every page below; call once in the layout.
pub fn provide_toast() -> Toast {
    let toast = Toast(RwSignal::new(None));
    provide_context(toast);
    toast
}

/// Shows `message` as the latest success.
pub fn say(message: impl Into<String>) {
    if let Some(Toast(signal)) = use_context::<Toast>() {
        signal.set(Some(message.into()));
        #[cfg(feature = "hydrate")]
        {
            let shown = signal.get_untracked();
            set_timeout(
                move || {
                    // Only the same message goes away: a newer one stays its full time.
                    if signal.get_untracked() == shown {
                        signal.set(None);
                    }
                },
                std::time::Duration::from_secs(6),
            );
        }
    }
}

/// "1 key", "3 keys".
pub fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[component]
pub fn ToastRegion(toast: Toast) -> impl IntoView {
    let Toast(signal) = toast;
    view! {
        <div class="toast-region" role="status" aria-live="polite" data-testid="toast">
            {move || signal.get().map(|m| view! { <div class="toast">{m}</div> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_plural_only_when_they_should_be() {
        assert_eq!(super::count(1, "key", "keys"), "1 key");
        assert_eq!(super::count(0, "key", "keys"), "0 keys");
        assert_eq!(super::count(2, "key", "keys"), "2 keys");
    }
}
