//! Success feedback: one polite live region at the bottom of the console. An island says what
//! just happened with [`say`]; screen readers announce it, and it fades after a few seconds.
use leptos::prelude::*;

thread_local! {
    /// The message on show. One per page: islands share the WASM instance but not context, so
    /// this is a thread-local rather than a context value. On the server it stays empty (see
    /// [`say`]), so nothing said for one request can show in another's page.
    static TOAST: ArcRwSignal<Option<String>> = ArcRwSignal::new(None);
}

/// Shows `message` as the latest success. Only in the browser: on the server (where nothing
/// calls it — actions run in the browser) it does nothing, since the thread-local outlives a
/// request.
pub fn say(message: impl Into<String>) {
    #[cfg(not(feature = "hydrate"))]
    let _ = message;
    #[cfg(feature = "hydrate")]
    {
        let signal = TOAST.with(|t| t.clone());
        signal.set(Some(message.into()));
        let shown = signal.get_untracked();
        set_timeout(
            move || {
                if signal.get_untracked() == shown {
                    signal.set(None);
                }
            },
            std::time::Duration::from_secs(6),
        );
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

/// The toast region, and (being the last island on every console page with islands, hydrated
/// last) the mark that the page is interactive.
#[island]
pub fn ToastRegion() -> impl IntoView {
    let signal = TOAST.with(|t| t.clone());
    #[cfg(feature = "hydrate")]
    request_animation_frame(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
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
